/**
 * `GET /api/approvals`: the review inbox — every step waiting for a person's approval across the runs the
 * token may read (the run list's rule: a token sees its projects only), oldest first. Two store reads whatever
 * the number: the waiting steps with their runs (`steps.waiting`), then those runs' step records for the
 * outputs under review (`runs.overview`).
 */
import type { FastifyPluginAsync, RawServerDefault } from "fastify";
import { z } from "zod";
import { requireRole } from "../access.js";
import { data, type RoutePluginOptions } from "../context.js";
import { approvalSchema, approvalsQuery, envelope } from "../schemas.js";
import type { ZodTypeProvider } from "../validation.js";
import { approvalView } from "../views.js";

export const approvalRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  const { store } = ctx;

  app.get(
    "/approvals",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { querystring: approvalsQuery, response: { 200: envelope(z.array(approvalSchema)) } },
    },
    async (req) => {
      const q = req.query;
      if (q.project_id !== undefined) requireRole(req, q.project_id, "read");
      const readable = req.principal.readable();
      const waiting = await store.steps.waiting({
        waitingFor: "approval",
        projectId: q.project_id ?? (readable === "*" ? undefined : readable),
        limit: q.limit,
      });
      const overviews = await store.runs.overview([...new Set(waiting.map((w) => w.run.id))]);
      return data(waiting.map(({ run, step }) => approvalView(run, step, overviews.get(run.id)?.steps ?? [])));
    },
  );
};
