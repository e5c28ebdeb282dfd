/**
 * ExpressionError: every failure of the expression language (lexing, parsing, limits, evaluation) is one of
 * these, with a 0-based `offset` and 1-based `line`/`column` inside the source that was parsed (for a
 * template, the whole template text), so a caller can map it into the file it came from.
 */
import { WeftError } from "../errors.js";

export class ExpressionError extends WeftError {
  /** Number of source characters the error is about (0 when it is a point, such as end of input). */
  readonly span: number;
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    opts: { span?: number; cause?: unknown } = {},
  ) {
    super("WEFT_EXPRESSION", message, opts.cause === undefined ? {} : { cause: opts.cause });
    this.name = "ExpressionError";
    this.span = opts.span ?? 0;
  }
}

/** 1-based line and column (in UTF-16 code units) of `offset` in `source`. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  const at = Math.max(0, Math.min(offset, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf("\n"); i !== -1 && i < at; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: at - lineStart + 1 };
}

/**
 * Build an ExpressionError whose message ends with where it happened and, when given, what to do:
 * "unknown function `lenght` (line 1, column 1) — did you mean `length`?".
 */
export function expressionError(
  source: string | undefined,
  offset: number,
  what: string,
  hint?: string,
  span = 0,
): ExpressionError {
  // Without the source (a hand-built tree), the offset is all we know: report it as line 1.
  const at = source === undefined ? Math.max(0, offset) : Math.max(0, Math.min(offset, source.length));
  const { line, column } = source === undefined ? { line: 1, column: at + 1 } : lineColumn(source, at);
  const message = `${what} (line ${line}, column ${column})${hint ? ` — ${hint}` : ""}`;
  return new ExpressionError(message, at, line, column, { span });
}

/** Short, single-line rendering of a bit of source or a value for messages. */
export function quote(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, " ");
  return `\`${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}\``;
}
