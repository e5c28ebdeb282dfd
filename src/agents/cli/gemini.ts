/**
 * `gemini-cli` — Google's Gemini CLI (`gemini`; the provider is not named `gemini`, which is the SDK
 * provider), run as `gemini --output-format stream-json` with the prompt on stdin.
 *
 * Verified (2026) against google-gemini/gemini-cli: docs/cli/headless.md (headless mode when stdin is not a TTY
 * or with `-p`; stream-json events `init`, `message`, `tool_use`, `tool_result`, `error`, `result`; exit codes
 * 0 success, 1 error, 42 input error, 53 turn limit), packages/core/src/output/types.ts (`init {session_id,
 * model}`, `message {role, content, delta?}`, `tool_use {tool_name, tool_id, parameters}`, `tool_result
 * {tool_id, status, output?, error?}`, `error {severity, message}`, `result {status: success | error, error?,
 * stats: {input_tokens, output_tokens, cached, …}}`), packages/cli/src/utils/readStdin.ts (stdin is read as
 * the prompt, up to 8 MB), docs/cli/session-management.md (`--resume <session UUID>`) and the plan-mode docs
 * (`--approval-mode default|auto_edit|yolo|plan`).
 *
 * The prompt goes on stdin rather than `-p <prompt>`: no per-argument size limit (128 KiB on Linux) and no
 * prompt that looks like an option. Permission → `--approval-mode`: default → default, acceptEdits →
 * auto_edit, bypassPermissions → yolo, plan → plan. No system-prompt flag: the system text leads the prompt;
 * no native JSON Schema: the prompt asks for JSON. The answer is the assistant text after the last tool call.
 */
import type { Provider } from "../provider.js";
import type { CliProviderOptions } from "./options.js";
import { oneLine, withSystem } from "./prompt.js";
import { type CliAgentSpec, createCliProvider, type Invocation } from "./runner.js";
import { emptyState, num, obj, type StreamParser, str, toolSummary } from "./stream.js";

const APPROVAL = { default: "default", acceptEdits: "auto_edit", bypassPermissions: "yolo", plan: "plan" } as const;

function geminiArgs(inv: Invocation): string[] {
  const args = ["--output-format", "stream-json"];
  if (inv.permission !== undefined) args.push("--approval-mode", APPROVAL[inv.permission]);
  if (inv.model !== undefined) args.push(`--model=${inv.model}`);
  if (inv.session.mode === "resume") args.push("--resume", inv.session.id);
  return [...args, ...inv.extraArgs];
}

function geminiParser(): StreamParser {
  const state = emptyState();
  /** Streamed text not yet shown: progress gets whole lines, not fragments. */
  let pending = "";
  /** Assistant text since the last tool call, and the last such segment that had any. */
  let segment = "";
  let answer = "";
  const flush = (progress: (line: string) => void) => {
    if (pending.trim() !== "") progress(pending.trim());
    pending = "";
  };
  const closeSegment = () => {
    if (segment.trim() !== "") answer = segment;
    segment = "";
  };
  return {
    state,
    event(event, progress) {
      switch (str(event, "type")) {
        case "init":
          state.sessionId = str(event, "session_id") ?? state.sessionId;
          state.model = str(event, "model") ?? state.model;
          progress(`session ${state.sessionId ?? "?"}${state.model ? ` (model ${state.model})` : ""}`);
          return;
        case "message": {
          if (str(event, "role") !== "assistant") return;
          const content = str(event, "content") ?? "";
          segment += content;
          pending += content;
          const cut = pending.lastIndexOf("\n");
          if (cut >= 0) {
            for (const line of pending.slice(0, cut).split("\n")) if (line.trim() !== "") progress(line);
            pending = pending.slice(cut + 1);
          }
          if (event.delta !== true) flush(progress);
          return;
        }
        case "tool_use":
          flush(progress);
          closeSegment();
          progress(`tool: ${toolSummary(str(event, "tool_name") ?? "?", obj(event, "parameters"))}`);
          return;
        case "tool_result":
          if (str(event, "status") === "error") {
            progress(`tool error: ${oneLine(str(obj(event, "error") ?? {}, "message") ?? "failed")}`);
          }
          return;
        case "error": {
          const message = str(event, "message") ?? "error";
          flush(progress);
          state.errors.push(message);
          progress(`${str(event, "severity") ?? "error"}: ${oneLine(message)}`);
          return;
        }
        case "result": {
          flush(progress);
          closeSegment();
          state.text = answer;
          const stats = obj(event, "stats");
          if (stats) {
            state.inputTokens = num(stats, "input_tokens");
            state.outputTokens = num(stats, "output_tokens");
          }
          if (str(event, "status") === "success") state.outcome = { ok: true };
          else {
            const error = obj(event, "error");
            const message = (error && str(error, "message")) ?? state.errors.at(-1) ?? "the run ended in an error";
            state.outcome = {
              ok: false,
              message: error && str(error, "type") ? `${message} (${str(error, "type")})` : message,
            };
          }
          return;
        }
        default:
          return;
      }
    },
    end(progress) {
      flush(progress);
    },
  };
}

const MISSING_SESSION =
  /invalid session|no (?:previous |saved )?sessions? (?:found|with)|session\b[^\n]{0,80}\bnot found/i;

export const geminiCliSpec: CliAgentSpec = {
  name: "gemini-cli",
  defaultCommand: "gemini",
  build: (inv) => ({ args: geminiArgs(inv), stdin: withSystem(inv.prompt, inv.system) }),
  parser: geminiParser,
  firstSession: (req) =>
    req.resumeSessionId === undefined ? { mode: "new" } : { mode: "resume", id: req.resumeSessionId },
  nextSession: (plan, failure) =>
    plan.mode === "resume" && MISSING_SESSION.test(failure) ? { mode: "new" } : undefined,
};

/** Google's Gemini CLI (`gemini`) as a provider named `gemini-cli`. */
export function createGeminiCliProvider(opts: CliProviderOptions = {}): Provider {
  return createCliProvider(geminiCliSpec, opts);
}
