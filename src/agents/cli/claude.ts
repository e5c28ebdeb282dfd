/**
 * `claude` — Claude Code, run as `claude -p --output-format stream-json --verbose` with the prompt on stdin.
 *
 * Verified (2026) against the Claude Code CLI reference (docs.anthropic.com/en/docs/claude-code/cli-reference:
 * `-p` reads the prompt from stdin when none is given, `--output-format stream-json` needs `--verbose`,
 * `--permission-mode default|plan|acceptEdits|bypassPermissions`, `--model`, `--append-system-prompt`,
 * `--session-id <uuid>`, `--resume <id>`, `--json-schema <schema>` with the answer in the result's
 * `structured_output`) and against stream-json consumers (cline's integrations/claude-code/types.ts, the
 * claude-code-sdk result types): `system/init {session_id, model}`, `assistant {message: {content: text |
 * tool_use}}`, `user {message: {content: tool_result}}`, and the closing `result {subtype: success |
 * error_max_turns | error_during_execution, is_error, result, session_id, total_cost_usd, usage, num_turns}`.
 * anthropics/claude-code#5524: `--session-id` of a session that exists fails with "Session ID … is already in
 * use." (we then resume it); `--resume` of an unknown id fails with "No conversation found with session ID".
 *
 * Sessions: a first run uses `--session-id` derived from the step run's idempotency key, so a re-run after a
 * crash finds and resumes the same session; `req.resumeSessionId` resumes that session instead.
 */
import type { JsonObject } from "../../core/json.js";
import type { Provider } from "../provider.js";
import type { CliProviderOptions } from "./options.js";
import { oneLine } from "./prompt.js";
import { type CliAgentSpec, createCliProvider, type Invocation } from "./runner.js";
import { type SessionPlan, sessionUuid } from "./session.js";
import { arr, contentText, emptyState, num, obj, type StreamParser, str, toolSummary } from "./stream.js";

function claudeArgs(inv: Invocation): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose"];
  if (inv.permission !== undefined) args.push("--permission-mode", inv.permission);
  if (inv.model !== undefined) args.push(`--model=${inv.model}`);
  if (inv.system !== undefined && inv.system !== "") args.push(`--append-system-prompt=${inv.system}`);
  if (inv.session.mode === "resume") args.push("--resume", inv.session.id);
  else if (inv.session.id !== undefined) args.push("--session-id", inv.session.id);
  if (inv.outputSchema !== undefined) args.push(`--json-schema=${JSON.stringify(inv.outputSchema)}`);
  return [...args, ...inv.extraArgs];
}

const FAILURES: Record<string, string> = {
  error_max_turns: "stopped at its turn limit",
  error_during_execution: "failed during execution",
  error_max_budget_usd: "stopped at its budget limit",
  error_max_structured_output_retries: "could not produce output matching the JSON Schema",
};

function resultFailure(event: JsonObject): string {
  const subtype = str(event, "subtype") ?? "error";
  const result = str(event, "result");
  const errors = arr(event, "errors").filter((e): e is string => typeof e === "string");
  const parts = [result, ...errors].filter((p): p is string => p !== undefined && p.trim() !== "");
  const what = parts.length > 0 ? parts.join("; ") : (FAILURES[subtype] ?? "reported an error");
  return `${what} (${subtype}${event.num_turns === undefined ? "" : `, ${num(event, "num_turns")} turns`})`;
}

function claudeParser(): StreamParser {
  const state = emptyState();
  let lastAssistantText = "";
  return {
    state,
    event(event, progress) {
      switch (str(event, "type")) {
        case "system":
          if (str(event, "subtype") === "init") {
            state.sessionId = str(event, "session_id") ?? state.sessionId;
            state.model = str(event, "model") ?? state.model;
            progress(`session ${state.sessionId ?? "?"}${state.model ? ` (model ${state.model})` : ""}`);
          }
          return;
        case "assistant": {
          const message = obj(event, "message");
          for (const block of message ? arr(message, "content") : []) {
            if (block === null || typeof block !== "object" || Array.isArray(block)) continue;
            const kind = str(block, "type");
            if (kind === "text") {
              const text = str(block, "text") ?? "";
              if (text.trim() !== "") lastAssistantText = text;
              progress(text.trim());
            } else if (kind === "tool_use") {
              progress(`tool: ${toolSummary(str(block, "name") ?? "?", obj(block, "input"))}`);
            }
          }
          return;
        }
        case "user": {
          const message = obj(event, "message");
          for (const block of message ? arr(message, "content") : []) {
            if (block === null || typeof block !== "object" || Array.isArray(block)) continue;
            if (str(block, "type") === "tool_result" && block.is_error === true) {
              progress(`tool error: ${oneLine(contentText(block.content))}`);
            }
          }
          return;
        }
        case "result": {
          state.sessionId = str(event, "session_id") ?? state.sessionId;
          const usage = obj(event, "usage");
          if (usage) {
            state.inputTokens =
              num(usage, "input_tokens") +
              num(usage, "cache_creation_input_tokens") +
              num(usage, "cache_read_input_tokens");
            state.outputTokens = num(usage, "output_tokens");
          }
          if (typeof event.total_cost_usd === "number") state.costUsd = event.total_cost_usd;
          const ok = str(event, "subtype") === "success" && event.is_error !== true;
          if (ok) {
            state.text = str(event, "result") ?? lastAssistantText;
            if (event.structured_output !== undefined && event.structured_output !== null) {
              state.json = event.structured_output;
            }
            state.outcome = { ok: true };
          } else {
            state.outcome = { ok: false, message: resultFailure(event) };
          }
          return;
        }
        default:
          return;
      }
    },
    end() {},
  };
}

const IN_USE = /session id \S+ is already in use/i;
const NOT_FOUND = /no conversation found/i;

export const claudeCodeSpec: CliAgentSpec = {
  name: "claude",
  defaultCommand: "claude",
  nativeSchema: "inline",
  build: (inv) => ({ args: claudeArgs(inv), stdin: inv.prompt }),
  parser: claudeParser,
  firstSession(req): SessionPlan {
    if (req.resumeSessionId !== undefined) return { mode: "resume", id: req.resumeSessionId };
    return { mode: "new", id: sessionUuid(req.idempotencyKey) };
  },
  nextSession(plan, failure, req) {
    if (plan.mode === "resume" && NOT_FOUND.test(failure)) return { mode: "new", id: sessionUuid(req.idempotencyKey) };
    if (plan.mode === "new" && plan.id !== undefined && IN_USE.test(failure)) return { mode: "resume", id: plan.id };
    return undefined;
  },
};

/** Claude Code (`claude`) as a provider named `claude`. */
export function createClaudeCodeProvider(opts: CliProviderOptions = {}): Provider {
  return createCliProvider(claudeCodeSpec, opts);
}
