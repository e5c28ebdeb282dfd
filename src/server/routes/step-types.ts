/**
 * `GET /api/step-types`: the step types this server validates workflows with, for editors — each with its
 * config's JSON Schema (derived from the zod `configSchema` the engine validates with, input side) and the
 * keys that make a step of it when `type:` is left out — and seed 000's node types with the step each becomes.
 * Everything comes from the registered types and the definition module's tables; nothing is restated here.
 */
import type { FastifyPluginAsync, RawServerDefault } from "fastify";
import { BUILTIN_STEP_TYPES } from "../../definition/dialects/keys.js";
import { SEED000_NODE_TYPES } from "../../definition/dialects/seed000-nodes.js";
import { configJsonSchema, type StepTypeSchemas } from "../../definition/index.js";
import { TYPE_INFERENCE } from "../../definition/steps.js";
import { data, type RoutePluginOptions } from "../context.js";
import { envelope, type StepTypesView, stepTypesSchema } from "../schemas.js";
import type { ZodTypeProvider } from "../validation.js";

/**
 * The step types a palette offers (the `function` type only once a function is registered): first the types a
 * step can be inferred as, in the order the engine tries them (so a client that takes the first type whose
 * `inferred_from` keys a step has agrees with the engine), then the others in registry order.
 */
function precedence(type: string): number {
  const i = TYPE_INFERENCE.findIndex((row) => row.type === type);
  return i === -1 ? TYPE_INFERENCE.length : i;
}

export function stepTypesView(stepTypes: StepTypeSchemas): StepTypesView {
  const types = [...stepTypes.entries()]
    .filter(([, t]) => t.offered !== false)
    .map(([type, t]) => ({
      type,
      title: t.title ?? type,
      description: t.description ?? "",
      builtin: BUILTIN_STEP_TYPES.includes(type),
      config_schema: configJsonSchema(t.configSchema),
      inferred_from: TYPE_INFERENCE.filter((row) => row.type === type).flatMap((row) => [...row.keys]),
    }))
    .sort((a, b) => precedence(a.type) - precedence(b.type));
  const nodeTypes = SEED000_NODE_TYPES.map(({ name, label, type, description, config }) => ({
    name,
    label,
    type,
    description,
    config,
  }));
  return { types, node_types: nodeTypes };
}

export const stepTypeRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  let view: StepTypesView | undefined;
  app.get(
    "/step-types",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { response: { 200: envelope(stepTypesSchema) } },
    },
    async () => {
      view ??= stepTypesView(ctx.stepTypes);
      return data(view);
    },
  );
};
