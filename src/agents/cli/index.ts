/**
 * CLI coding agents as providers: Claude Code (`claude`), OpenAI Codex (`codex`) and Gemini CLI
 * (`gemini-cli`), each run as a child process in the step's directory (see README.md for the contract).
 */
export { claudeCodeSpec, createClaudeCodeProvider } from "./claude.js";
export { codexSpec, createCodexProvider } from "./codex.js";
export { CliAgentError } from "./failure.js";
export { createGeminiCliProvider, geminiCliSpec } from "./gemini.js";
export {
  type CliAgentOptions,
  type CliProviderOptions,
  cliAgentOptionsSchema,
  cliProviderOptionsSchema,
} from "./options.js";
export { type CliAgentSpec, createCliProvider, type Invocation } from "./runner.js";
export { type SessionPlan, sessionUuid } from "./session.js";
export type { StreamParser, StreamState } from "./stream.js";
export { WORKTREES_DIR, worktreeName } from "./worktree.js";
