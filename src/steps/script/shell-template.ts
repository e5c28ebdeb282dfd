/**
 * Injection-proof templating of script commands (the GitHub Actions `${{ }}`-in-`run:` lesson).
 *
 * A `{{ expr }}` in a command is never spliced into shell text. It is replaced by a reference to an environment
 * variable `WEFT_EXPR_<n>` that the handler sets to the expression's value, quoted for the lexical context the
 * placeholder sits in, so the value reaches the command as exactly one literal word (or part of one):
 *
 * | context                         | written               | becomes                          |
 * | ------------------------------- | --------------------- | -------------------------------- |
 * | unquoted (also inside `$( )`)   | `--env {{ x }}`       | `--env "$WEFT_EXPR_0"`           |
 * | double quotes, `${ }`, heredoc  | `"hi {{ x }}"`        | `"hi ${WEFT_EXPR_0}"`            |
 * | single quotes                   | `'a{{ x }}b'`         | `'a'"$WEFT_EXPR_0"'b'`           |
 * | bash `$'…'` (bash, zsh, ksh)    | `$'a{{ x }}b'`        | `$'a'"$WEFT_EXPR_0"$'b'`         |
 *
 * Refused, because no quoting makes them safe or meaningful: a placeholder right after a backslash, inside
 * `$(( … ))` (bash evaluates variables there as arithmetic, which can run commands), inside a quoted
 * here-document (`<<'EOF'`, where nothing expands) and as a here-document delimiter.
 *
 * What a command then does with the value (`eval "$WEFT_EXPR_0"`, `sh -c "$WEFT_EXPR_0"`) is up to it.
 * Pure: no I/O.
 */
import { TerminalError } from "../../core/errors.js";
import { parseTemplate } from "../../core/expressions/index.js";

export interface ShellTemplate {
  /** The shell text to run: the command with every placeholder replaced by a quoted variable reference. */
  script: string;
  /** One entry per distinct expression source, in order of first appearance. */
  expressions: Array<{ name: string; source: string }>;
}

export interface ShellTemplateOptions {
  /** Treat `$'…'` as ANSI-C quoting (bash, zsh, ksh). Default false: POSIX `sh`. */
  ansiCQuoting?: boolean | undefined;
}

/** The prefix of the variables that carry expression values; a step's own `env` may not use it. */
export const EXPR_VAR_PREFIX = "WEFT_EXPR_";

type Frame =
  | { kind: "code"; close: ")" | "`" | null; depth: number }
  | { kind: "comment" }
  | { kind: "single" }
  | { kind: "double" }
  | { kind: "ansi" }
  | { kind: "param"; inDouble: boolean; depth: number }
  | { kind: "arith"; depth: number }
  | { kind: "heredoc"; delimiter: string; quoted: boolean; stripTabs: boolean; line: string };

interface PendingHeredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

const WORD_END = new Set([" ", "\t", "\n", ";", "&", "|", "<", ">", "(", ")"]);
const WORD_START_AFTER = new Set([undefined, " ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">"]);
/** Characters a backslash escapes inside double quotes and unquoted here-documents. */
const DQ_ESCAPABLE = new Set(["$", "`", '"', "\\", "\n"]);

/** Tracks where in the shell's grammar the text seen so far ends. */
class ShellLexer {
  readonly stack: Frame[] = [{ kind: "code", close: null, depth: 0 }];
  /** A backslash was the last character and escapes whatever comes next. */
  escaped = false;
  private prev: string | undefined;
  private readonly pending: PendingHeredoc[] = [];

  constructor(private readonly ansiC: boolean) {}

  get top(): Frame {
    return this.stack[this.stack.length - 1] as Frame;
  }

  /** Feeds literal text; `moreFollows` is true when a placeholder comes right after it. */
  feed(text: string, moreFollows: boolean): void {
    let i = 0;
    while (i < text.length) {
      i = this.step(text, i, moreFollows);
    }
  }

  /** Notes that a placeholder was emitted (it is a word character, never a delimiter line). */
  placeholder(): void {
    this.prev = "x";
    const top = this.top;
    if (top.kind === "heredoc") top.line += "\0";
  }

  private push(frame: Frame): void {
    const top = this.top;
    if (top.kind === "heredoc") top.line += "\0";
    this.stack.push(frame);
  }

  private pop(): void {
    if (this.stack.length > 1) this.stack.pop();
  }

  /** Opens `$(`, `$((`, `${` (and `$'`, `$"`) at `text[i] === "$"`; returns the index after it, or -1. */
  private dollar(text: string, i: number, inDouble: boolean): number {
    const next = text[i + 1];
    if (next === "(") {
      if (text[i + 2] === "(") {
        this.push({ kind: "arith", depth: 0 });
        return i + 3;
      }
      this.push({ kind: "code", close: ")", depth: 0 });
      return i + 2;
    }
    if (next === "{") {
      this.push({ kind: "param", inDouble, depth: 0 });
      return i + 2;
    }
    if (!inDouble && next === "'" && this.ansiC) {
      this.push({ kind: "ansi" });
      return i + 2;
    }
    if (!inDouble && next === '"') {
      this.push({ kind: "double" });
      return i + 2;
    }
    return -1;
  }

  private step(text: string, i: number, moreFollows: boolean): number {
    const c = text[i] as string;
    const top = this.top;
    const atEnd = i === text.length - 1;
    if (this.escaped && top.kind !== "single" && !(top.kind === "heredoc" && top.quoted)) {
      this.escaped = false;
      if (top.kind === "heredoc") top.line += c;
      this.prev = c;
      return i + 1;
    }
    switch (top.kind) {
      case "single":
        if (c === "'") this.pop();
        return i + 1;
      case "ansi":
        if (c === "\\") this.escaped = true;
        else if (c === "'") this.pop();
        return i + 1;
      case "comment":
        if (c === "\n") {
          this.pop();
          this.newline();
        }
        return i + 1;
      case "double": {
        if (c === "\\") {
          // Inside double quotes only some characters are escapable; a backslash before a placeholder would
          // escape the `$` of the variable reference, so it is treated as escaping (and refused later).
          if ((atEnd && moreFollows) || DQ_ESCAPABLE.has(text[i + 1] as string)) this.escaped = true;
          return i + 1;
        }
        if (c === '"') {
          this.pop();
          this.prev = c;
          return i + 1;
        }
        if (c === "`") {
          this.push({ kind: "code", close: "`", depth: 0 });
          this.prev = undefined;
          return i + 1;
        }
        if (c === "$") {
          const after = this.dollar(text, i, true);
          if (after >= 0) return after;
        }
        return i + 1;
      }
      case "heredoc":
        return this.heredocStep(top, text, i, moreFollows);
      case "arith":
        if (c === "(") top.depth++;
        else if (c === ")") {
          if (top.depth === 0 && text[i + 1] === ")") {
            this.pop();
            this.prev = ")";
            return i + 2;
          }
          top.depth = Math.max(0, top.depth - 1);
        } else if (c === "$") {
          const after = this.dollar(text, i, false);
          if (after >= 0) return after;
        }
        return i + 1;
      case "param":
        if (c === "\\") this.escaped = true;
        else if (c === "}") {
          if (top.depth === 0) this.pop();
          else top.depth--;
        } else if (c === "{") top.depth++;
        else if (c === "'" && !top.inDouble) this.push({ kind: "single" });
        else if (c === '"') this.push({ kind: "double" });
        else if (c === "`") this.push({ kind: "code", close: "`", depth: 0 });
        else if (c === "$") {
          const after = this.dollar(text, i, top.inDouble);
          if (after >= 0) return after;
        }
        return i + 1;
      case "code":
        return this.codeStep(top, text, i);
    }
  }

  private codeStep(top: Frame & { kind: "code" }, text: string, i: number): number {
    const c = text[i] as string;
    const wordStart = WORD_START_AFTER.has(this.prev);
    this.prev = c;
    switch (c) {
      case "\\":
        this.escaped = true;
        return i + 1;
      case "'":
        this.push({ kind: "single" });
        return i + 1;
      case '"':
        this.push({ kind: "double" });
        return i + 1;
      case "`":
        if (top.close === "`") this.pop();
        else this.push({ kind: "code", close: "`", depth: 0 });
        this.prev = undefined;
        return i + 1;
      case "$": {
        const after = this.dollar(text, i, false);
        if (after >= 0) {
          this.prev = undefined;
          return after;
        }
        return i + 1;
      }
      case "(":
        if (top.close === ")") top.depth++;
        return i + 1;
      case ")":
        if (top.close === ")") {
          if (top.depth === 0) this.pop();
          else top.depth--;
        }
        return i + 1;
      case "#":
        if (wordStart) this.push({ kind: "comment" });
        return i + 1;
      case "<":
        if (text[i + 1] === "<" && text[i + 2] !== "<") return this.heredocOperator(text, i + 2);
        if (text[i + 1] === "<") return i + 3; // bash here-string `<<<`
        return i + 1;
      case "\n":
        this.newline();
        return i + 1;
      default:
        return i + 1;
    }
  }

  /** Reads the delimiter word after `<<` / `<<-`; quoting any part of it makes the body literal. */
  private heredocOperator(text: string, start: number): number {
    let i = start;
    const stripTabs = text[i] === "-";
    if (stripTabs) i++;
    while (text[i] === " " || text[i] === "\t") i++;
    let delimiter = "";
    let quoted = false;
    while (i < text.length && !WORD_END.has(text[i] as string)) {
      const c = text[i] as string;
      if (c === "'" || c === '"') {
        quoted = true;
        const close = text.indexOf(c, i + 1);
        const end = close < 0 ? text.length : close;
        delimiter += text.slice(i + 1, end);
        i = end + 1;
      } else if (c === "\\") {
        quoted = true;
        delimiter += text[i + 1] ?? "";
        i += 2;
      } else {
        delimiter += c;
        i++;
      }
    }
    if (i >= text.length) throw new HeredocDelimiterAtEnd(delimiter);
    if (delimiter !== "") this.pending.push({ delimiter, quoted, stripTabs });
    this.prev = "x";
    return i;
  }

  private newline(): void {
    const next = this.pending.shift();
    if (next) this.stack.push({ kind: "heredoc", ...next, line: "" });
  }

  private heredocStep(top: Frame & { kind: "heredoc" }, text: string, i: number, moreFollows: boolean): number {
    const c = text[i] as string;
    if (c === "\n") {
      const line = top.stripTabs ? top.line.replace(/^\t+/, "") : top.line;
      if (line === top.delimiter) {
        this.pop();
        this.newline();
      } else top.line = "";
      return i + 1;
    }
    if (!top.quoted) {
      if (c === "\\") {
        const atEnd = i === text.length - 1;
        if ((atEnd && moreFollows) || DQ_ESCAPABLE.has(text[i + 1] as string)) this.escaped = true;
        top.line += c;
        return i + 1;
      }
      if (c === "`") {
        this.push({ kind: "code", close: "`", depth: 0 });
        return i + 1;
      }
      if (c === "$") {
        const after = this.dollar(text, i, true);
        if (after >= 0) return after;
      }
    }
    top.line += c;
    return i + 1;
  }
}

class HeredocDelimiterAtEnd extends Error {
  constructor(readonly delimiter: string) {
    super("here-document delimiter at the end of a text part");
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

/** `offset` is where the expression's source starts, just after its `{{`. */
function refuse(command: string, offset: number, source: string, why: string): never {
  const at = lineColumn(command, Math.max(0, offset - 2));
  throw new TerminalError(`{{ ${source} }} at ${at} of the command ${why}`, "WEFT_STEP_CONFIG");
}

/** Compiles a templated command into shell text plus the expressions whose values the variables carry. */
export function compileShellTemplate(command: string, opts: ShellTemplateOptions = {}): ShellTemplate {
  const template = parseTemplate(command);
  const lexer = new ShellLexer(opts.ansiCQuoting ?? false);
  const names = new Map<string, string>();
  const expressions: ShellTemplate["expressions"] = [];
  let script = "";
  template.parts.forEach((part, index) => {
    if (part.kind === "text") {
      const moreFollows = index < template.parts.length - 1;
      try {
        lexer.feed(part.text, moreFollows);
      } catch (err) {
        if (!(err instanceof HeredocDelimiterAtEnd)) throw err;
        const next = template.parts[index + 1];
        if (next?.kind === "expr")
          refuse(command, next.offset, next.source.trim(), "is part of a here-document delimiter");
      }
      script += part.text;
      return;
    }
    const source = part.source.trim();
    const top = lexer.top;
    if (lexer.escaped && top.kind !== "single" && !(top.kind === "heredoc" && top.quoted)) {
      refuse(
        command,
        part.offset,
        source,
        "follows a backslash; remove the backslash (the value is inserted literally)",
      );
    }
    if (top.kind === "arith") {
      refuse(
        command,
        part.offset,
        source,
        "is inside $(( … )), where the shell would evaluate the value as arithmetic; compute the number in the expression instead",
      );
    }
    if (top.kind === "heredoc" && top.quoted) {
      refuse(
        command,
        part.offset,
        source,
        `is inside a quoted here-document (<<'${top.delimiter}'), where nothing is expanded; quote no part of the delimiter (<<${top.delimiter}) to insert values`,
      );
    }
    let name = names.get(source);
    if (name === undefined) {
      name = `${EXPR_VAR_PREFIX}${expressions.length}`;
      names.set(source, name);
      expressions.push({ name, source });
    }
    script += reference(top, name);
    lexer.placeholder();
  });
  return { script, expressions };
}

function reference(frame: Frame, name: string): string {
  switch (frame.kind) {
    case "single":
      return `'"$${name}"'`;
    case "ansi":
      return `'"$${name}"$'`;
    case "double":
    case "heredoc":
      return `\${${name}}`;
    case "param":
      return frame.inDouble ? `\${${name}}` : `"$${name}"`;
    default:
      return `"$${name}"`;
  }
}
