/**
 * `codex` — OpenAI Codex CLI, run as `codex exec --json … -` with the prompt on stdin.
 *
 * Verified (2026) against openai/codex `codex-rs/exec/src/cli.rs` (`--json` prints JSONL events;
 * `--output-schema <FILE>`; `--skip-git-repo-check`; a `-` prompt is read from stdin; `codex exec resume
 * <SESSION_ID> [PROMPT]`, whose prompt may also be `-`), `codex-rs/utils/cli` `SharedCliOptions` (`--model`,
 * `--sandbox read-only|workspace-write|danger-full-access`, `--dangerously-bypass-approvals-and-sandbox`;
 * exec never asks for approvals) and `codex-rs/exec/src/exec_events.rs` (`thread.started {thread_id}`,
 * `turn.started`, `item.started|updated|completed {item: {id, type: agent_message | reasoning |
 * command_execution | file_change | mcp_tool_call | web_search | todo_list | error, …}}`, `turn.completed
 * {usage: {input_tokens, cached_input_tokens, output_tokens}}`, `turn.failed {error: {message}}`, `error
 * {message}`).
 *
 * Permission → flags: `plan` → `--sandbox read-only`; `default`, `acceptEdits` → `--sandbox workspace-write`;
 * `bypassPermissions` → `--dangerously-bypass-approvals-and-sandbox`; none → the CLI's own configuration.
 * Exec-level flags precede the `resume` subcommand. `--skip-git-repo-check` is always passed: weft chose the
 * directory. Codex has no system-prompt flag for exec: the system text leads the prompt. The answer is the last
 * `agent_message`; Codex reports no cost.
 */
import type { JsonObject } from "../../core/json.js";
import type { Provider } from "../provider.js";
import type { CliProviderOptions } from "./options.js";
import { oneLine, withSystem } from "./prompt.js";
import { type CliAgentSpec, createCliProvider, type Invocation } from "./runner.js";
import { arr, emptyState, num, obj, type StreamParser, str, toolSummary } from "./stream.js";

function permissionArgs(permission: Invocation["permission"]): string[] {
  switch (permission) {
    case "plan":
      return ["--sandbox", "read-only"];
    case "default":
    case "acceptEdits":
      return ["--sandbox", "workspace-write"];
    case "bypassPermissions":
      return ["--dangerously-bypass-approvals-and-sandbox"];
    default:
      return [];
  }
}

function codexArgs(inv: Invocation): string[] {
  const args = ["exec", "--json", "--skip-git-repo-check", ...permissionArgs(inv.permission)];
  if (inv.model !== undefined) args.push(`--model=${inv.model}`);
  if (inv.schemaFile !== undefined) args.push("--output-schema", inv.schemaFile);
  args.push(...inv.extraArgs);
  if (inv.session.mode === "resume") args.push("resume", inv.session.id);
  args.push("-");
  return args;
}

function itemProgress(phase: "started" | "completed", item: JsonObject, progress: (line: string) => void): void {
  const type = str(item, "type");
  if (phase === "started") {
    if (type === "command_execution") progress(`tool: shell ${oneLine(str(item, "command") ?? "")}`);
    else if (type === "mcp_tool_call") {
      progress(
        `tool: ${str(item, "server") ?? "mcp"}.${toolSummary(str(item, "tool") ?? "?", obj(item, "arguments"))}`,
      );
    } else if (type === "web_search") progress(`tool: web_search ${oneLine(str(item, "query") ?? "")}`);
    return;
  }
  switch (type) {
    case "agent_message":
      progress((str(item, "text") ?? "").trim());
      return;
    case "command_execution": {
      const code = item.exit_code;
      if (str(item, "status") === "failed" || (typeof code === "number" && code !== 0)) {
        progress(
          `command failed${typeof code === "number" ? ` (exit ${code})` : ""}: ${oneLine(str(item, "command") ?? "")}`,
        );
      }
      return;
    }
    case "file_change":
      for (const change of arr(item, "changes")) {
        if (change === null || typeof change !== "object" || Array.isArray(change)) continue;
        const kind = str(change, "kind");
        progress(`file changed: ${str(change, "path") ?? "?"}${kind && kind !== "update" ? ` (${kind})` : ""}`);
      }
      return;
    case "error":
      progress(`error: ${oneLine(str(item, "message") ?? "")}`);
      return;
    default:
      return;
  }
}

function codexParser(): StreamParser {
  const state = emptyState();
  return {
    state,
    event(event, progress) {
      const item = obj(event, "item");
      switch (str(event, "type")) {
        case "thread.started":
          state.sessionId = str(event, "thread_id") ?? state.sessionId;
          progress(`session ${state.sessionId ?? "?"}`);
          return;
        case "item.started":
          if (item) itemProgress("started", item, progress);
          return;
        case "item.completed":
          if (!item) return;
          if (str(item, "type") === "agent_message") state.text = str(item, "text") ?? state.text;
          itemProgress("completed", item, progress);
          return;
        case "turn.completed": {
          const usage = obj(event, "usage");
          if (usage) {
            state.inputTokens += num(usage, "input_tokens");
            state.outputTokens += num(usage, "output_tokens");
          }
          state.outcome = { ok: true };
          return;
        }
        case "turn.failed": {
          const message = str(obj(event, "error") ?? {}, "message") ?? "the turn failed";
          state.errors.push(message);
          state.outcome = { ok: false, message };
          progress(`turn failed: ${oneLine(message)}`);
          return;
        }
        case "error": {
          const message = str(event, "message") ?? "error";
          state.errors.push(message);
          progress(`error: ${oneLine(message)}`);
          return;
        }
        default:
          return;
      }
    },
    end() {},
  };
}

const MISSING_SESSION =
  /no (?:saved |matching )?(?:session|conversation|rollout|thread)s? (?:found|with)|(?:session|conversation|thread|rollout)\b[^\n]{0,80}\bnot found/i;

export const codexSpec: CliAgentSpec = {
  name: "codex",
  defaultCommand: "codex",
  nativeSchema: "file",
  build: (inv) => ({ args: codexArgs(inv), stdin: withSystem(inv.prompt, inv.system) }),
  parser: codexParser,
  firstSession: (req) =>
    req.resumeSessionId === undefined ? { mode: "new" } : { mode: "resume", id: req.resumeSessionId },
  nextSession: (plan, failure) =>
    plan.mode === "resume" && MISSING_SESSION.test(failure) ? { mode: "new" } : undefined,
};

/** OpenAI Codex CLI (`codex`) as a provider named `codex`. */
export function createCodexProvider(opts: CliProviderOptions = {}): Provider {
  return createCliProvider(codexSpec, opts);
}
