/**
 * Errors carry a stable code (listed in docs/errors.md) and their retry semantics.
 *
 * - `TerminalError`: retrying cannot help (bad config, rejected approval, validation). The step fails now.
 * - `RetryableError`: a transient failure; the step is retried per its retry policy, after `retryAfterMs`
 *   when given.
 * Any other error thrown by a step handler is treated as retryable (kind `error`).
 */

export const ERROR_CODES = {
  WEFT_PARSE: "The workflow file cannot be read as YAML, JSON or a TypeScript/JavaScript module.",
  WEFT_SCHEMA: "A field of the workflow has the wrong type or an unknown value.",
  WEFT_DUPLICATE_ID: "Two steps share one id.",
  WEFT_UNKNOWN_REF: "A dependency, on_success/on_failure target or expression names a step that does not exist.",
  WEFT_CYCLE: "The steps' dependencies form a cycle.",
  WEFT_UNKNOWN_ROOT: "An expression starts with a name that is neither a step, an argument nor a known root.",
  WEFT_UNDECLARED_FIELD:
    "An expression reads a field of a step's output that the step's outputSchema does not declare.",
  WEFT_EXPRESSION: "An expression could not be parsed or evaluated.",
  WEFT_ARGS: "The run's arguments do not match the workflow's argsSchema.",
  WEFT_STEP_CONFIG: "A step's configuration does not match its step type.",
  WEFT_UNKNOWN_STEP_TYPE: "A step names a type no plugin provides.",
  WEFT_TOO_LARGE: "An input is larger than weft accepts.",
  WEFT_TIMEOUT: "A step or run exceeded its timeout.",
  WEFT_CANCELLED: "The run was cancelled.",
  WEFT_SCRIPT_EXIT: "A script exited with a non-zero status.",
  WEFT_REJECTED: "An approval step was rejected.",
  WEFT_STEP_FAILED: "A step handler failed.",
  WEFT_NOT_FOUND: "No run, step or checkpoint has that id.",
  WEFT_CONFLICT: "The run is not in a state that allows this operation.",
  WEFT_FENCED: "Another process took over this run; this process's write was refused.",
  WEFT_IDEMPOTENCY_MISMATCH:
    "An idempotency key was reused with another workflow or other arguments than the run it already names.",
  WEFT_BAD_REQUEST:
    "An HTTP request is malformed: invalid JSON, an unsupported content type, or fields that do not match the route.",
  WEFT_UNAUTHORIZED: "An HTTP request to a server that requires API tokens carries none, or an unknown one.",
  WEFT_FORBIDDEN: "An API token is valid but its role in the project does not allow this operation.",
  WEFT_PROVIDER: "An agent provider failed.",
  WEFT_RATE_LIMITED: "An agent provider refused a request for its rate limit or capacity (HTTP 429, overloaded).",
  WEFT_BUDGET: "A run or step went over its token or cost budget.",
  WEFT_NON_DETERMINISM:
    "A TypeScript workflow's replay asked for a different step than the one recorded at that position.",
  WEFT_SOURCE_CHANGED: "A TypeScript workflow's source changed since the run started.",
  WEFT_STORAGE:
    "The data directory cannot be used: its disk is full, or the database file is damaged, not weft's, or newer than this weftflow.",
  WEFT_INTERNAL: "An unexpected internal error.",
  WEFT_HTTP: "The typed client (weftflow/client) got an HTTP error answer without weft's error envelope.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A position in a source file, 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** The serialisable form of an error, as stored on steps and runs and sent in events. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  location?: SourceLocation | undefined;
}

export class WeftError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly location: SourceLocation | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; location?: SourceLocation; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "WeftError";
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.location = opts.location;
  }
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, retryable: this.retryable, location: this.location };
  }
}

/** Node's and SQLite's codes for a write refused for want of space (a full disk, or a quota). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL";
}

/**
 * A write to `path` refused for want of space, as weft reports it (`WEFT_STORAGE`, retryable: once there is
 * space, doing it again works). `then` says what to do once space is freed.
 */
export function diskFullError(path: string, cause: unknown, then: string): WeftError {
  return new WeftError(
    "WEFT_STORAGE",
    `the disk is full: weft could not write ${path}. Free space on that disk (or move the data directory: ` +
      `--data-dir, WEFT_DATA_DIR), then ${then}`,
    { retryable: true, cause },
  );
}

/** Retrying cannot help: the step fails without further attempts. */
export class TerminalError extends WeftError {
  constructor(message: string, code: ErrorCode = "WEFT_STEP_FAILED", opts: { cause?: unknown } = {}) {
    super(code, message, { retryable: false, ...opts });
    this.name = "TerminalError";
  }
}

/** A transient failure: retried per the step's retry policy, no sooner than `retryAfterMs` when set. */
export class RetryableError extends WeftError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { code?: ErrorCode; retryAfterMs?: number; cause?: unknown } = {}) {
    super(opts.code ?? "WEFT_STEP_FAILED", message, { retryable: true, cause: opts.cause });
    this.name = "RetryableError";
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Why a provider call failed, as far as fallback and retry care. */
export type ProviderFailureKind =
  /** 429, or the provider's own quota error. */
  | "rate_limited"
  /** The provider says it is overloaded (Anthropic 529, Gemini 503 "overloaded"). */
  | "overloaded"
  /** 5xx. */
  | "server"
  /** The connection failed or dropped, or the provider did not answer in time. */
  | "network"
  /** The answer could not be read (malformed JSON, a stream that ended early). */
  | "malformed";

/**
 * A transient provider failure: retried per the step's policy (no sooner than `retryAfterMs`, from the
 * provider's `Retry-After`), and what `fallback: [model, …]` switches models on. Failures retrying cannot
 * fix (bad key, bad request) are `TerminalError`s with code `WEFT_PROVIDER`.
 */
export class ProviderError extends RetryableError {
  readonly kind: ProviderFailureKind;
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;
  constructor(
    kind: ProviderFailureKind,
    message: string,
    opts: { status?: number | undefined; retryAfterMs?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, {
      code: kind === "rate_limited" || kind === "overloaded" ? "WEFT_RATE_LIMITED" : "WEFT_PROVIDER",
      ...(opts.retryAfterMs === undefined ? {} : { retryAfterMs: opts.retryAfterMs }),
      cause: opts.cause,
    });
    this.name = "ProviderError";
    this.kind = kind;
    this.status = opts.status;
  }
}

/**
 * A run or step went over its budget. With `pause`, the driver pauses the run and puts the step back (its
 * attempt not spent) until a person raises the budget and resumes; otherwise the step fails.
 */
export class BudgetExceededError extends TerminalError {
  readonly scope: "run" | "step";
  readonly pause: boolean;
  readonly limit: { tokens: number | null; costUsd: number | null };
  readonly spent: { tokens: number; costUsd: number };
  constructor(
    message: string,
    opts: {
      scope: "run" | "step";
      pause: boolean;
      limit: { tokens: number | null; costUsd: number | null };
      spent: { tokens: number; costUsd: number };
    },
  ) {
    super(message, "WEFT_BUDGET");
    this.name = "BudgetExceededError";
    this.scope = opts.scope;
    this.pause = opts.pause;
    this.limit = opts.limit;
    this.spent = opts.spent;
  }
}

/** Turn anything thrown into an ErrorInfo. Unknown errors are retryable: a step handler's bug or a flaky dependency. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof WeftError) return err.toInfo();
  if (err instanceof Error) return { code: "WEFT_STEP_FAILED", message: err.message, retryable: true };
  return { code: "WEFT_STEP_FAILED", message: String(err), retryable: true };
}

/** One validation problem, with where it is and what to do about it. */
export interface Issue {
  code: ErrorCode;
  message: string;
  location: SourceLocation;
  /** What the user can do to fix it. */
  hint?: string | undefined;
  severity: "error" | "warning";
  /**
   * `WEFT_ARGS`: the argument it is about, as a path into the args (`topic`, `channels[1]`, `brand.voice`,
   * `["odd key"]`), so that a form can show the message on its field. Absent: the args as a whole.
   */
  field?: string | undefined;
}

export function formatIssue(issue: Issue): string {
  const where = `${issue.location.file}:${issue.location.line}:${issue.location.column}`;
  const hint = issue.hint ? `\n  → ${issue.hint}` : "";
  return `${where}: ${issue.severity} ${issue.code}: ${issue.message}${hint}`;
}

/** Thrown when a definition has errors; carries every issue, not just the first. */
export class ValidationError extends WeftError {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    const first = issues[0];
    super(first?.code ?? "WEFT_SCHEMA", issues.map(formatIssue).join("\n"), { location: first?.location });
    this.name = "ValidationError";
    this.issues = issues;
  }
}
