/**
 * `type: agent` — asks an agent (a named role mapped to a provider and model) and records the exchange.
 *
 * The prompt is `prompt` rendered; with `inputs` (seed 001) the rendered inputs follow it as JSON, or make up
 * the whole prompt when there is no `prompt`. With `documents` (document artifact ids, usually the run's
 * `weft-document` args: `documents: "{{ args.context_documents }}"`) each document's text follows, read when
 * the attempt starts from the run's project only (`ctx.artifacts.readDocument`). An agent with no configuration is answered by the mock provider,
 * with a notice.
 *
 * Output: with an `outputSchema` and an object answer, that object (so `steps.triage.output.severity` reads a
 * field); otherwise `{ result: <text> }` (seed 003 reads `{{security-scan.result}}`), plus `json` when the
 * schema asked for a non-object value. Without a schema, an answer that is a JSON object (json-answer.ts says
 * what counts) adds its fields beside `result`, so seed 001's `{{steps.triage.output.severity}}` reads it. An answer that does not match `outputSchema` is a `RetryableError`
 * (models vary between attempts). The transcript goes to `<logDir>/session.jsonl`, appended per attempt.
 * A provider call is not deduplicated across a crash: the step runs again, with the same idempotency key.
 */
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { compileSchema, schemaProblem } from "../../agents/json-schema.js";
import type { AgentMessage, ProviderResponse } from "../../agents/provider.js";
import {
  ProviderError,
  type ProviderFailureKind,
  RetryableError,
  TerminalError,
  WeftError,
} from "../../core/errors.js";
import { isJsonObject, type Json, type JsonObject } from "../../core/json.js";
import { writeDocument } from "../artifacts.js";
import { jsonObject } from "../config.js";
import { defineStepType, type StepContext } from "../step-type.js";
import { checkBudget, lastSessionId, modelChain, toBudget } from "./budget.js";
import { parseJsonText, schemalessOutput } from "./json-answer.js";
import { buildPrompt, withDocuments } from "./prompt.js";
import { answerSummary } from "./summary.js";

export const agentConfigSchema = z
  .strictObject({
    agent: z.string().min(1).describe("The agent role, mapped to a provider and model by configuration."),
    prompt: z.string().optional().describe("The prompt (a template)."),
    inputs: jsonObject
      .optional()
      .meta({ type: "object", description: "Named inputs (templates) handed to the agent with the prompt." }),
    system: z.string().optional().describe("The system prompt."),
    model: z.string().min(1).optional().describe("Overrides the agent's model."),
    outputSchema: jsonObject
      .superRefine((schema, ctx) => {
        const problem = schemaProblem(schema);
        if (problem) ctx.addIssue({ code: "custom", message: `is not a valid JSON Schema: ${problem}` });
      })
      .optional()
      .meta({
        type: "object",
        description: "JSON Schema the agent's answer must match; the parsed JSON becomes the step's output.",
      }),
    permission: z
      .enum(["default", "plan", "acceptEdits", "bypassPermissions"])
      .optional()
      .describe("CLI agents: the permission mode."),
    temperature: z.number().min(0).max(2).optional().describe("Sampling temperature."),
    maxTokens: z.number().int().min(1).optional().describe("Upper bound of the answer's tokens."),
    /**
     * Context documents: text document artifacts of the run's project whose text follows the prompt — an id, a
     * list of ids, or a template that renders to either (`"{{ args.context_documents }}"`); null or `[]`: none.
     */
    documents: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe(
        "Context documents whose text follows the prompt: text document artifact ids of the run's project, usually `{{ args.context_documents }}` (an argument with `items: { type: string, format: weft-document }`).",
      ),
    /** Also keep the answer as a markdown document artifact with this name (templated); output gets `document_id`. */
    document: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .describe("Also keep the answer as a markdown document with this name (a template); output gets `document_id`."),
    /** Times an answer outside `outputSchema` is sent back to the model to repair, within one attempt. Default 2. */
    repairs: z
      .number()
      .int()
      .min(0)
      .max(5)
      .optional()
      .describe("Times an answer outside `outputSchema` is sent back to the model to repair. Default 2."),
    /** Models tried in turn when the model fails with a rate limit, an overload or a server error. */
    fallback: z
      .array(z.string().min(1))
      .min(1)
      .max(10)
      .optional()
      .describe("Models tried in turn when the model fails with a rate limit, an overload or a server error."),
    /** This step run's limit (all its attempts); default policy `fail`. */
    budget: z
      .strictObject({
        tokens: z.number().int().min(1).optional(),
        cost_usd: z.number().positive().optional(),
        costUsd: z.number().positive().optional(),
        on_exceed: z.enum(["fail", "pause"]).optional(),
        onExceed: z.enum(["fail", "pause"]).optional(),
      })
      .refine((b) => b.tokens !== undefined || b.cost_usd !== undefined || b.costUsd !== undefined, {
        message: "a budget needs tokens, cost_usd or both",
      })
      .optional()
      .meta({
        description: "This step run's limit (all its attempts); default policy `fail`.",
        anyOf: [{ required: ["tokens"] }, { required: ["cost_usd"] }, { required: ["costUsd"] }],
      }),
  })
  .refine((c) => c.prompt !== undefined || c.inputs !== undefined, {
    message: "an agent step needs a prompt or inputs",
    path: ["prompt"],
  })
  .meta({ anyOf: [{ required: ["prompt"] }, { required: ["inputs"] }] });

export type AgentStepConfig = z.infer<typeof agentConfigSchema>;

/** The failures `fallback` switches models on; others (a bad request, a bad key) would fail on any model. */
const FALLBACK_ON: ReadonlySet<ProviderFailureKind> = new Set(["rate_limited", "overloaded", "server"]);

function parseAnswer(response: ProviderResponse): Json | undefined {
  return response.json !== undefined ? response.json : parseJsonText(response.text);
}

/** Why an answer does not satisfy the schema, or undefined when it does. */
function schemaMismatch(schema: JsonObject, response: ProviderResponse): string | undefined {
  const answer = parseAnswer(response);
  if (answer === undefined) return "the answer is not JSON";
  const validate = compileSchema(schema);
  return validate(answer) ? undefined : (validate.errors ?? "it does not match");
}

function repairPrompt(problem: string): string {
  return (
    `Your previous answer does not match the required JSON Schema: ${problem}. ` +
    "Answer again with only the corrected JSON value — no prose, no code fence."
  );
}

function toOutput(config: AgentStepConfig, agent: string, response: ProviderResponse): Json {
  if (!config.outputSchema) return schemalessOutput(response.text);
  const problem = schemaMismatch(config.outputSchema, response);
  if (problem !== undefined) {
    throw new RetryableError(`agent "${agent}" did not answer JSON matching the step's outputSchema: ${problem}`, {
      code: "WEFT_PROVIDER",
    });
  }
  const answer = parseAnswer(response) as Json;
  return isJsonObject(answer) ? answer : { result: response.text, json: answer };
}

/** The step's `documents`, rendered, as artifact ids; their names and text, in that order. */
async function readDocuments(
  ctx: StepContext,
  documents: AgentStepConfig["documents"],
): Promise<Array<{ id: string; name: string; text: string }>> {
  if (documents === undefined) return [];
  const value = ctx.render(documents);
  const ids = value === null || value === "" ? [] : Array.isArray(value) ? value : [value];
  if (!ids.every((id): id is string => typeof id === "string" && id !== "")) {
    throw new TerminalError(
      `the agent step's documents must render to document artifact ids (a string or a list of strings), got ${JSON.stringify(value)}`,
    );
  }
  return Promise.all([...new Set(ids)].map((id) => ctx.artifacts.readDocument(id)));
}

async function writeSession(ctx: StepContext, header: JsonObject, transcript: JsonObject[]): Promise<void> {
  const lines = [header, ...transcript].map((entry) => `${JSON.stringify(entry)}\n`).join("");
  await mkdir(ctx.logDir, { recursive: true });
  await appendFile(join(ctx.logDir, "session.jsonl"), lines);
}

export const agentStepType = defineStepType<AgentStepConfig>({
  type: "agent",
  title: "Agent",
  description:
    "Asks an agent (a named role mapped to a provider and model) and records its answer; optionally keeps it as a document.",
  configSchema: agentConfigSchema,
  async run(ctx, config, signal) {
    const { config: agentConfig, provider, configured, notice } = ctx.providers.resolve(config.agent);
    if (notice) ctx.notice(notice);
    else if (!configured) {
      ctx.notice(`agent "${config.agent}" has no configuration; answered by the offline mock provider`);
    }
    const inputs = config.inputs === undefined ? undefined : ctx.render(config.inputs);
    const documents = await readDocuments(ctx, config.documents);
    const prompt = withDocuments(
      buildPrompt(ctx.stepId, config.prompt === undefined ? undefined : ctx.renderString(config.prompt), inputs),
      documents,
    );
    const agent = {
      ...agentConfig,
      model: config.model ?? agentConfig.model,
      system: config.system === undefined ? agentConfig.system : ctx.renderString(config.system),
      temperature: config.temperature ?? agentConfig.temperature,
      maxTokens: config.maxTokens ?? agentConfig.maxTokens,
    };
    const recorded: JsonObject = { agent: config.agent, provider: provider.name, prompt };
    if (agent.model !== undefined) recorded.model = agent.model;
    if (agent.system !== undefined) recorded.system = agent.system;
    if (inputs !== undefined) recorded.inputs = inputs;
    if (documents.length > 0) recorded.documents = documents.map((d) => ({ id: d.id, name: d.name }));
    if (config.outputSchema) recorded.outputSchema = config.outputSchema;
    if (config.permission) recorded.permission = config.permission;
    ctx.recordInput(recorded);

    if (signal.aborted) {
      throw signal.reason instanceof Error
        ? signal.reason
        : new WeftError("WEFT_CANCELLED", "the agent step was cancelled");
    }
    const stepBudget = toBudget(config.budget);
    const models = modelChain(agent.model, config.fallback ?? agentConfig.fallback);
    // A retry continues the CLI agent's session of the attempt before, where there was one.
    let resumeSessionId = ctx.attempt > 1 ? await lastSessionId(ctx.logDir) : undefined;

    /** One exchange: the model chain tried in turn (fallback), its usage reported, its transcript logged. */
    const exchange = async (text: string, messages: AgentMessage[]): Promise<ProviderResponse> => {
      for (let i = 0; ; i++) {
        const model = models[i];
        checkBudget(ctx, stepBudget);
        let response: ProviderResponse;
        try {
          response = await provider.generate({
            agent: { ...agent, model },
            prompt: text,
            messages: messages.length ? [...messages] : undefined,
            outputSchema: config.outputSchema,
            permission: config.permission,
            cwd: ctx.projectPath,
            resumeSessionId,
            idempotencyKey: ctx.idempotencyKey,
            attempt: ctx.attempt,
            signal,
            onProgress: (t) => ctx.log("stdout", t),
          });
        } catch (err) {
          const sessionId = (err as { sessionId?: unknown }).sessionId;
          if (typeof sessionId === "string") {
            await writeSession(ctx, { type: "session", attempt: ctx.attempt, failed: true, sessionId }, []);
          }
          const next = models[i + 1];
          if (!(err instanceof ProviderError) || !FALLBACK_ON.has(err.kind) || next === undefined || signal.aborted) {
            throw err;
          }
          const status = err.status === undefined ? "" : ` ${err.status}`;
          ctx.log(
            "info",
            `model ${model ?? "(default)"} failed (${err.kind}${status}): ${err.message}; falling back to ${next}`,
          );
          continue;
        }
        const { inputTokens, outputTokens, costUsd } = response.usage;
        ctx.usage.report({ provider: provider.name, model: response.model, inputTokens, outputTokens, costUsd });
        const cost = costUsd === undefined ? "" : `, cost $${costUsd.toFixed(4)}`;
        ctx.log("info", `tokens in/out ${inputTokens}/${outputTokens}, model ${response.model}${cost}`);
        const header: JsonObject = {
          type: "session",
          attempt: ctx.attempt,
          agent: config.agent,
          provider: provider.name,
          model: response.model,
          at: new Date(ctx.now()).toISOString(),
        };
        if (response.sessionId !== undefined) header.sessionId = response.sessionId;
        await writeSession(ctx, header, response.transcript);
        return response;
      }
    };

    let response = await exchange(prompt, []);
    // An answer outside the outputSchema: the model is shown what is wrong and asked again, a bounded number
    // of times within the attempt; then the attempt fails (and the step's retry policy decides).
    const repairs = config.repairs ?? 2;
    const history: AgentMessage[] = [];
    let asked = prompt;
    let problem = config.outputSchema ? schemaMismatch(config.outputSchema, response) : undefined;
    for (let r = 1; problem !== undefined && r <= repairs; r++) {
      ctx.log(
        "info",
        `agent "${config.agent}" answered outside its outputSchema (${problem}); asking it to repair the answer (${r}/${repairs})`,
      );
      history.push({ role: "user", content: asked }, { role: "assistant", content: response.text });
      resumeSessionId = response.sessionId ?? resumeSessionId;
      asked = repairPrompt(problem);
      response = await exchange(asked, history);
      problem = config.outputSchema ? schemaMismatch(config.outputSchema, response) : undefined;
    }

    let output = toOutput(config, config.agent, response);
    if (config.document !== undefined) {
      // A fixed key: the same artifact on every attempt, even if the rendered name differs.
      const doc = await writeDocument(ctx, {
        name: ctx.renderString(config.document),
        text: response.text,
        key: "document",
      });
      output = isJsonObject(output) ? { ...output, document_id: doc.id } : { result: output, document_id: doc.id };
    }
    const summary = answerSummary({ agent: config.agent, provider: provider.name, configured, response });
    return { kind: "completed", output, summary };
  },
});
