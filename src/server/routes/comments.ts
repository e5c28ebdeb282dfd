/**
 * Comments (seed 002's WorkflowComment) on a run or on one of its steps:
 * `POST /api/workflow-executions/:id/comments`, `GET /api/workflow-executions/:id/comments?step_id=`.
 *
 * `step_id` is a step run id of the run (`<run id>:<key>`, as `steps[].id` shows it) or a step key (`build`,
 * `draft[2]`): a step of the run's workflow, or a step run it has. A step of another run, or one the run
 * does not have, is 422. The store appends `workflow.comment.created` to the run's events in the same
 * transaction; live clients get it through the event feed — at once when the feed is handed to the routes
 * (`ctx.feed`), else from the feed's poll of the store (every 100 ms) for the runs it follows.
 */
import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync, RawServerDefault } from "fastify";
import { z } from "zod";
import { WeftError } from "../../core/errors.js";
import type { RunRecord } from "../../core/model.js";
import { data, type RoutePluginOptions } from "../context.js";
import { commentSchema, createCommentBody, envelope, listCommentsQuery, runParams } from "../schemas.js";
import type { ZodTypeProvider } from "../validation.js";
import { commentsOf, commentView, stepKeyOfRequest } from "../views.js";

/** What a context may carry to deliver an event at once (the server's EventFeed). */

export const commentRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  const { store } = ctx;

  const mustGetRun = async (id: string): Promise<RunRecord> => {
    const run = await store.runs.get(id);
    if (!run) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${id}`);
    return run;
  };

  const stepKeyIn = (run: RunRecord, stepId: string) => stepKeyOfRequest(store, run, stepId);

  app.post(
    "/workflow-executions/:id/comments",
    {
      config: { access: { role: "operate", scope: { run: "id" } } },
      schema: { params: runParams, body: createCommentBody, response: { 201: envelope(commentSchema) } },
    },
    async (req, reply) => {
      const run = await mustGetRun(req.params.id);
      const body = req.body;
      const stepKey = body.step_id ? await stepKeyIn(run, body.step_id) : null;
      const { comment, event } = await store.comments.create({
        id: randomUUID(),
        runId: run.id,
        stepKey,
        text: body.text,
        commentType: body.comment_type,
        // The writer recorded is the token; what the client says in `created_by` is kept as `claimed_by`.
        createdBy: req.principal.name,
        claimedBy: body.created_by ?? null,
        now: Date.now(),
      });
      ctx.feed?.publish(event);
      void reply.status(201);
      return data(commentView(comment));
    },
  );

  app.get(
    "/workflow-executions/:id/comments",
    {
      config: { access: { role: "read", scope: { run: "id" } } },
      schema: {
        params: runParams,
        querystring: listCommentsQuery,
        response: { 200: envelope(z.array(commentSchema)) },
      },
    },
    async (req) => {
      const run = await mustGetRun(req.params.id);
      const stepKey = req.query.step_id ? await stepKeyIn(run, req.query.step_id) : undefined;
      return data(await commentsOf(store, run.id, stepKey));
    },
  );
};
