// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages quote shell syntax, where ${…} is shell text
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
 * | arithmetic (see below)         | `(( {{ x }} > 1 ))`   | `(( ${WEFT_EXPR_0} > 1 ))` + integer check |
 *
 * Refused, because no quoting makes them safe or meaningful: a placeholder right after a backslash, inside a
 * quoted here-document (`<<'EOF'`, where nothing expands) and as a here-document delimiter.
 *
 * **Arithmetic.** Quoting does not help where bash evaluates a value as arithmetic: arithmetic expands array
 * subscripts, and a subscript may hold a command substitution, so the value `a[$(cmd)]` runs `cmd` even from
 * `"$WEFT_EXPR_0"`. The lexer therefore also follows the commands' words (with shell-commands.ts) and marks every
 * placement bash evaluates as arithmetic, anywhere inside (even within a `$( )` there):
 * `$(( ))`, `$[ ]`, `(( ))` and `for (( ; ; ))`; operands of `-eq -ne -lt -le -gt -ge` in `[[ ]]`; `let`;
 * array subscripts (`${a[…]}`, `a[…]=`, `unset 'a[…]'`, `[[ -v a[…] ]]`, `a=([…]=…)`); substring offsets and
 * lengths (`${V:…}`, `${V:1:…}`, `${a[@]:…}`); values assigned to integer variables (see shell-commands.ts).
 * Such placements stay usable — `(( {{ args.n }} > 1 ))` is a natural thing to write — but the step checks,
 * before the script starts, that the value is a plain integer (`INTEGER_VALUE`); otherwise it fails with a
 * `TerminalError` naming the placement. An integer cannot name anything, so it cannot reach a subscript. Where
 * no such check applies — a placement that is (part of) a variable name, as in `[[ -v {{ x }} ]]`,
 * `unset {{ x }}`, `read {{ x }}`, `${!{{ x }}}` — it is refused when the workflow is loaded. The analysis is
 * the same for every shell (dash evaluates no code in arithmetic, so there the check is merely strict).
 *
 * Not covered, and documented: a value that first lands in a shell variable (or a file, a pipe) and is then used
 * in arithmetic (`n={{ x }}; echo $((n + 1))`) is evaluated by bash like `eval`; so is an integer variable
 * declared where the lexer cannot see it (a sourced file, `eval`), or `let` reached through an alias or a
 * function. Put the placement in the arithmetic itself.
 *
 * What a command then does with the value (`eval "$WEFT_EXPR_0"`, `sh -c "$WEFT_EXPR_0"`) is up to it.
 * Pure: no I/O.
 */
import { TerminalError } from "../../core/errors.js";
import { parseTemplate } from "../../core/expressions/index.js";
import {
  analyseCommand,
  analyseCompound,
  analyseCondition,
  BUILTIN_INTEGER_NAMES,
  type Placement,
  resolveAssignments,
  type ScriptFacts,
  SUBSCRIPT,
  type Word,
} from "./shell-commands.js";

export interface ShellTemplate {
  /** The shell text to run: the command with every placeholder replaced by a quoted variable reference. */
  script: string;
  /**
   * One entry per distinct expression source, in order of first appearance. `integer` is set when a placement
   * of it sits where bash evaluates arithmetic: the value must then be an integer (see `checkIntegerValue`); it
   * says where, for the error message.
   */
  expressions: Array<{ name: string; source: string; integer?: string }>;
}

export interface ShellTemplateOptions {
  /** Treat `$'…'` as ANSI-C quoting (bash, zsh, ksh). Default false: POSIX `sh`. */
  ansiCQuoting?: boolean | undefined;
}

/** The prefix of the variables that carry expression values; a step's own `env` may not use it. */
export const EXPR_VAR_PREFIX = "WEFT_EXPR_";

/** What a value in an arithmetic context must look like: an optional sign and decimal digits, nothing else. */
export const INTEGER_VALUE = /^[+-]?[0-9]+$/;

/** Every refused placement of a command, one message each (`weft validate` reports them all). */
export class ShellTemplateError extends TerminalError {
  constructor(readonly problems: string[]) {
    super(problems.join("; "), "WEFT_STEP_CONFIG");
  }
}

interface Command {
  words: Word[];
  cur: Word | null;
  /** Index in `words` where the words of an open `[[ … ]]` start, or -1. */
  cond: number;
  /** An open `name=( … )`: its elements, and the assignment word it belongs to. */
  compound: { name: string; word: Word; words: Word[] } | null;
  redirectNext?: "file" | "herestring";
}

/** In `${ … }`: the name, a subscript `[…]`, after it, a substring offset/length `:…`, or an operator's word. */
type ParamRegion = "name" | "subscript" | "after" | "offset" | "word";

type Frame =
  | { kind: "code"; close: ")" | "`" | null; depth: number; cmd: Command; inside: Placement[] }
  | { kind: "comment" }
  | { kind: "single" }
  | { kind: "double" }
  | { kind: "ansi" }
  | { kind: "param"; inDouble: boolean; depth: number; text: string; region: ParamRegion; bracket: number }
  | { kind: "arith"; depth: number; close: "))" | "]"; what: string }
  | { kind: "heredoc"; delimiter: string; quoted: boolean; stripTabs: boolean; line: string };

interface PendingHeredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

const WORD_END = new Set([" ", "\t", "\n", ";", "&", "|", "<", ">", "(", ")"]);
/** Characters a backslash escapes inside double quotes and unquoted here-documents. */
const DQ_ESCAPABLE = new Set(["$", "`", '"', "\\", "\n"]);
const COMPOUND_START = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=$/;
const PARAM_NAME = /^[#!]?([A-Za-z_][A-Za-z0-9_]*)$/;
/** `${n:=…}`, `${n=…}`: assigns the word to n when n is unset (or empty). */
const PARAM_ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?:?=/;
const OFFSET = "a substring offset or length (${V:…}), which bash evaluates as arithmetic";

/** Deepest nesting of quotes, substitutions and expansions analysed (each placement walks the whole stack). */
const MAX_NESTING = 32;

const newCommand = (): Command => ({ words: [], cur: null, cond: -1, compound: null });
const codeFrame = (close: ")" | "`" | null): Frame => ({
  kind: "code",
  close,
  depth: 0,
  cmd: newCommand(),
  inside: [],
});

/** Tracks where in the shell's grammar the text seen so far ends, and the words of each command. */
class ShellLexer {
  readonly stack: Frame[] = [codeFrame(null)];
  /** A backslash was the last character and escapes whatever comes next. */
  escaped = false;
  readonly facts: ScriptFacts = { integerNames: new Set(BUILTIN_INTEGER_NAMES), namerefs: [], assigned: [] };
  private readonly pending: PendingHeredoc[] = [];

  constructor(private readonly ansiC: boolean) {}

  get top(): Frame {
    return this.stack[this.stack.length - 1] as Frame;
  }

  /** Feeds literal text; `moreFollows` is true when a placeholder comes right after it. */
  feed(text: string, moreFollows: boolean): void {
    let i = 0;
    while (i < text.length) {
      const owner = this.top.kind === "code" ? null : this.ownerWord();
      const next = this.step(text, i, moreFollows);
      if (owner) owner.raw += text.slice(i, next);
      i = next;
    }
  }

  /** Notes that a placeholder was emitted (a word character, never a delimiter line) and classifies it. */
  placeholder(placement: Placement): void {
    const top = this.top;
    if (top.kind === "heredoc") top.line += "\0";
    if (top.kind === "param") {
      const assigns = top.region === "word" ? PARAM_ASSIGN.exec(top.text) : null;
      if (assigns) this.facts.assigned.push({ name: assigns[1] as string, placements: [placement] });
      if (top.region === "name" && top.text.startsWith("!")) {
        placement.refused ??= "is used as a variable name (${!…}), where a value like a[$(cmd)] would run cmd";
      }
      top.text += "\0";
    }
    this.reach([placement], this.stack.length - 1, true);
  }

  /**
   * Marks `placements`, found at `stack[from]` or above, with the arithmetic contexts down to the nearest command,
   * and hands them to that command (its current word too, unless a here-document lies between). The words that
   * contain a `$( )` get its placements when it closes (`pop`), which keeps this walk short.
   */
  private reach(placements: Placement[], from: number, direct: boolean): void {
    let inWord = true;
    for (let k = from; k >= 0; k--) {
      const frame = this.stack[k] as Frame;
      let what: string | undefined;
      if (frame.kind === "comment") return;
      if (frame.kind === "heredoc") inWord = false;
      else if (frame.kind === "arith") what = `${frame.what}, which bash evaluates as arithmetic`;
      else if (frame.kind === "param" && frame.region === "subscript") what = SUBSCRIPT;
      else if (frame.kind === "param" && frame.region === "offset") what = OFFSET;
      else if (frame.kind === "code") {
        if (inWord) {
          const word = this.ensureWord(frame.cmd);
          if (direct) for (const placement of placements) word.placements.push({ placement, at: word.raw.length });
          else word.nested.push({ placements, at: word.raw.length });
          if (direct) word.raw += "\0";
        }
        for (const placement of placements) frame.inside.push(placement);
        return;
      }
      if (what !== undefined) for (const placement of placements) placement.arithmetic ??= what;
    }
  }

  /** Ends every open command, then applies what was learned about integer variables. */
  finish(): void {
    while (this.stack.length > 1) {
      const top = this.top;
      if (top.kind === "code") this.endCommand(top.cmd);
      this.pop();
    }
    const root = this.top;
    if (root.kind === "code") this.endCommand(root.cmd);
    resolveAssignments(this.facts);
  }

  /** The word of the innermost command that the current character belongs to (none in a here-doc or comment). */
  private ownerWord(): Word | null {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const frame = this.stack[k] as Frame;
      if (frame.kind === "heredoc" || frame.kind === "comment") return null;
      if (frame.kind === "code") return this.ensureWord(frame.cmd);
    }
    return null;
  }

  private ensureWord(cmd: Command): Word {
    cmd.cur ??= { raw: "", placements: [], nested: [] };
    return cmd.cur;
  }

  private endWord(cmd: Command): void {
    const word = cmd.cur;
    if (!word) return;
    cmd.cur = null;
    if (cmd.compound) {
      cmd.compound.words.push(word);
      return;
    }
    if (cmd.redirectNext) word.redirect = cmd.redirectNext;
    cmd.redirectNext = undefined;
    cmd.words.push(word);
    if (
      cmd.cond < 0 &&
      word.raw === "[[" &&
      cmd.words.every((w) => w === word || /^(!|\{|if|elif|then|else|do|while|until|time)$/.test(w.raw))
    ) {
      cmd.cond = cmd.words.length;
    } else if (cmd.cond >= 0 && word.raw === "]]") {
      analyseCondition(cmd.words.slice(cmd.cond, -1));
      cmd.cond = -1;
    }
  }

  private endCommand(cmd: Command): void {
    if (cmd.compound) this.endCompound(cmd);
    this.endWord(cmd);
    if (cmd.cond >= 0) analyseCondition(cmd.words.slice(cmd.cond));
    analyseCommand(cmd.words, this.facts);
    Object.assign(cmd, newCommand());
  }

  private endCompound(cmd: Command): void {
    const compound = cmd.compound;
    if (!compound) return;
    this.endWord(cmd);
    analyseCompound(compound.name, compound.words, this.facts);
    cmd.compound = null;
    cmd.cur = compound.word;
    compound.word.raw += "()";
  }

  /** An operator of `[[ … ]]` (`(`, `&`, `<`, …): a word of its own. */
  private operatorWord(cmd: Command, c: string): void {
    this.endWord(cmd);
    cmd.words.push({ raw: c, placements: [], nested: [] });
  }

  private push(frame: Frame): void {
    if (this.stack.length >= MAX_NESTING) {
      throw new ShellTemplateError([`the command nests quotes and substitutions more than ${MAX_NESTING} levels deep`]);
    }
    const top = this.top;
    if (top.kind === "heredoc") top.line += "\0";
    this.stack.push(frame);
  }

  /** Closes the top frame; a closing `$( )` or backquote hands its placements to what contains it. */
  private pop(): void {
    if (this.stack.length <= 1) return;
    const frame = this.stack.pop() as Frame;
    if (frame.kind === "code" && frame.inside.length > 0) this.reach(frame.inside, this.stack.length - 1, false);
  }

  /** Opens `$(`, `$((`, `$[`, `${` (and `$'`, `$"`) at `text[i] === "$"`; returns the index after it, or -1. */
  private dollar(text: string, i: number, inDouble: boolean): number {
    const next = text[i + 1];
    if (next === "(") {
      if (text[i + 2] === "(") {
        this.push({ kind: "arith", depth: 0, close: "))", what: "inside $(( … ))" });
        return i + 3;
      }
      this.push(codeFrame(")"));
      return i + 2;
    }
    if (next === "[") {
      this.push({ kind: "arith", depth: 0, close: "]", what: "inside $[ … ]" });
      return i + 2;
    }
    if (next === "{") {
      this.push({ kind: "param", inDouble, depth: 0, text: "", region: "name", bracket: 0 });
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
      if (top.kind === "code") this.ensureWord(top.cmd).raw += c;
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
          return i + 1;
        }
        if (c === "`") {
          this.push(codeFrame("`"));
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
        return this.arithStep(top, text, i);
      case "param":
        return this.paramStep(top, text, i, moreFollows);
      case "code":
        return this.codeStep(top, text, i);
    }
  }

  private arithStep(top: Frame & { kind: "arith" }, text: string, i: number): number {
    const c = text[i] as string;
    const [open, close] = top.close === "]" ? ["[", "]"] : ["(", ")"];
    if (c === open) top.depth++;
    else if (c === close) {
      if (top.depth === 0 && (top.close === "]" || text[i + 1] === ")")) {
        this.pop();
        return i + top.close.length;
      }
      top.depth = Math.max(0, top.depth - 1);
    } else if (c === "$") {
      const after = this.dollar(text, i, false);
      if (after >= 0) return after;
    }
    return i + 1;
  }

  private paramStep(top: Frame & { kind: "param" }, text: string, i: number, moreFollows: boolean): number {
    const c = text[i] as string;
    if (top.depth === 0 && c !== "}") {
      this.paramRegion(top, c, text[i + 1] ?? (moreFollows ? "\0" : ""));
      top.text += c;
    }
    if (c === "\\") this.escaped = true;
    else if (c === "}") {
      if (top.depth === 0) this.pop();
      else top.depth--;
    } else if (c === "{") top.depth++;
    else if (c === "'" && !top.inDouble) this.push({ kind: "single" });
    else if (c === '"') this.push({ kind: "double" });
    else if (c === "`") this.push(codeFrame("`"));
    else if (c === "$") {
      const after = this.dollar(text, i, top.inDouble);
      if (after >= 0) return after;
    }
    return i + 1;
  }

  /** Follows `${name[subscript]:offset:length}` far enough to know which parts bash evaluates as arithmetic. */
  private paramRegion(top: Frame & { kind: "param" }, c: string, next: string): void {
    switch (top.region) {
      case "name":
        if (c === "[" && PARAM_NAME.test(top.text)) top.region = "subscript";
        else if (c === ":") top.region = "-=?+".includes(next) && next !== "" ? "word" : "offset";
        else if (!/[A-Za-z0-9_@*]/.test(c) && !(top.text === "" && (c === "#" || c === "!"))) top.region = "word";
        return;
      case "subscript":
        if (c === "[") top.bracket++;
        else if (c === "]") {
          if (top.bracket === 0) top.region = "after";
          else top.bracket--;
        }
        return;
      case "after":
        top.region = c === ":" && !("-=?+".includes(next) && next !== "") ? "offset" : "word";
        return;
      default:
        return;
    }
  }

  private codeStep(top: Frame & { kind: "code" }, text: string, i: number): number {
    const c = text[i] as string;
    const cmd = top.cmd;
    const word = () => this.ensureWord(cmd);
    switch (c) {
      case "\\":
        this.escaped = true;
        word().raw += c;
        return i + 1;
      case "'":
        word().raw += c;
        this.push({ kind: "single" });
        return i + 1;
      case '"':
        word().raw += c;
        this.push({ kind: "double" });
        return i + 1;
      case "`":
        if (top.close === "`") {
          this.endCommand(cmd);
          this.pop();
        } else {
          word().raw += c;
          this.push(codeFrame("`"));
        }
        return i + 1;
      case "$": {
        const w = word();
        const after = this.dollar(text, i, false);
        w.raw += text.slice(i, after >= 0 ? after : i + 1);
        return after >= 0 ? after : i + 1;
      }
      case "(":
        return this.openParen(top, text, i);
      case ")":
        if (!cmd.compound) this.endWord(cmd); // first: it may be the `]]` that closes a condition
        if (cmd.compound) this.endCompound(cmd);
        else if (cmd.cond >= 0) this.operatorWord(cmd, c);
        else if (top.close === ")" && top.depth === 0) {
          this.endCommand(cmd);
          this.pop();
        } else {
          if (top.close === ")") top.depth--;
          this.endCommand(cmd);
        }
        return i + 1;
      case "#":
        if (cmd.cur === null) this.push({ kind: "comment" });
        else word().raw += c;
        return i + 1;
      case "<":
      case ">":
        return this.redirection(cmd, text, i);
      case " ":
      case "\t":
        this.endWord(cmd);
        return i + 1;
      case "\n":
        this.endWord(cmd); // first: it may be the `]]` that closes a condition
        if (cmd.cond < 0 && !cmd.compound) this.endCommand(cmd);
        this.newline();
        return i + 1;
      case ";":
      case "&":
      case "|":
        if (c === "&" && text[i + 1] === ">") {
          this.endWord(cmd);
          cmd.redirectNext = "file";
          return i + 2;
        }
        this.endWord(cmd);
        if (cmd.cond >= 0) this.operatorWord(cmd, c);
        else if (!cmd.compound) this.endCommand(cmd);
        return i + 1;
      default:
        word().raw += c;
        return i + 1;
    }
  }

  /** `(`: an operator in `[[ ]]`, a compound assignment `a=(…)`, an arithmetic command `((…))`, or a subshell. */
  private openParen(top: Frame & { kind: "code" }, text: string, i: number): number {
    const cmd = top.cmd;
    if (cmd.cond >= 0 && cmd.cur?.raw !== "]]") {
      this.operatorWord(cmd, "(");
      return i + 1;
    }
    const assignment = cmd.cur && !cmd.compound ? COMPOUND_START.exec(cmd.cur.raw) : null;
    if (cmd.cur && assignment) {
      cmd.compound = { name: assignment[1] as string, word: cmd.cur, words: [] };
      cmd.cur = null;
      return i + 1;
    }
    if (text[i + 1] === "(" && cmd.cur === null) {
      this.push({ kind: "arith", depth: 0, close: "))", what: "inside (( … ))" });
      return i + 2;
    }
    if (top.close === ")") top.depth++;
    this.endCommand(cmd);
    return i + 1;
  }

  private redirection(cmd: Command, text: string, i: number): number {
    const c = text[i] as string;
    this.endWord(cmd);
    if (cmd.cond >= 0) {
      this.operatorWord(cmd, c);
      return i + 1;
    }
    if (c === "<" && text[i + 1] === "<" && text[i + 2] !== "<") return this.heredocOperator(text, i + 2);
    if (c === "<" && text[i + 1] === "<") {
      cmd.redirectNext = "herestring"; // bash here-string `<<<`
      return i + 3;
    }
    cmd.redirectNext = "file";
    return /[&>|]/.test(text[i + 1] ?? "") ? i + 2 : i + 1;
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
        this.push(codeFrame("`"));
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

/** `{{ source }} at line L, column C of the command` — `offset` is where the source starts, just after `{{`. */
function where(command: string, placement: Placement): string {
  return `{{ ${placement.source} }} at ${lineColumn(command, Math.max(0, placement.offset - 2))} of the command`;
}

const NAME_HINT =
  "; a value cannot name a variable: write the name in the command itself (choose among several with `case`)";

/**
 * Compiles a templated command into shell text plus the expressions whose values the variables carry.
 * Throws a `ShellTemplateError` listing every refused placement.
 */
export function compileShellTemplate(command: string, opts: ShellTemplateOptions = {}): ShellTemplate {
  const template = parseTemplate(command);
  const lexer = new ShellLexer(opts.ansiCQuoting ?? false);
  const names = new Map<string, string>();
  const placements: Array<{ placement: Placement; name: string }> = [];
  let script = "";
  let delimiterAtEnd = false;
  template.parts.forEach((part, index) => {
    if (part.kind === "text") {
      const moreFollows = index < template.parts.length - 1;
      try {
        lexer.feed(part.text, moreFollows);
      } catch (err) {
        if (!(err instanceof HeredocDelimiterAtEnd)) throw err;
        delimiterAtEnd = true;
      }
      script += part.text;
      return;
    }
    const placement: Placement = { source: part.source.trim(), offset: part.offset };
    const top = lexer.top;
    if (delimiterAtEnd) placement.refused = "is part of a here-document delimiter";
    delimiterAtEnd = false;
    if (lexer.escaped && top.kind !== "single" && !(top.kind === "heredoc" && top.quoted)) {
      placement.refused = "follows a backslash; remove the backslash (the value is inserted literally)";
      lexer.escaped = false;
    }
    if (top.kind === "heredoc" && top.quoted) {
      placement.refused = `is inside a quoted here-document (<<'${top.delimiter}'), where nothing is expanded; quote no part of the delimiter (<<${top.delimiter}) to insert values`;
    }
    let name = names.get(placement.source);
    if (name === undefined) {
      name = `${EXPR_VAR_PREFIX}${names.size}`;
      names.set(placement.source, name);
    }
    placements.push({ placement, name });
    script += reference(top, name);
    lexer.placeholder(placement);
  });
  lexer.finish();
  const problems = placements
    .filter(({ placement }) => placement.refused !== undefined)
    .map(({ placement }) => {
      const hint =
        placement.refused?.includes("variable name") || placement.refused?.includes("nameref") ? NAME_HINT : "";
      return `${where(command, placement)} ${placement.refused}${hint}`;
    });
  if (problems.length > 0) throw new ShellTemplateError(problems);
  const expressions = new Map<string, ShellTemplate["expressions"][number]>();
  for (const { placement, name } of placements) {
    const entry = expressions.get(name) ?? { name, source: placement.source };
    expressions.set(name, entry);
    if (placement.arithmetic !== undefined) entry.integer ??= `${where(command, placement)} is ${placement.arithmetic}`;
  }
  return { script, expressions: [...expressions.values()] };
}

/**
 * Run-time half of the arithmetic rule: a value placed where bash evaluates arithmetic must be a plain integer,
 * checked before the script starts. Throws a `TerminalError` naming the placement otherwise (the value itself is
 * not repeated: it may be long, or secret).
 */
export function checkIntegerValue(expression: ShellTemplate["expressions"][number], value: string): void {
  if (expression.integer === undefined || INTEGER_VALUE.test(value)) return;
  throw new TerminalError(
    `the value of {{ ${expression.source} }} is not an integer (digits with an optional sign, ${value.length} characters given), and ${expression.integer}, which could run commands hidden in the value (a[$(cmd)]); the script was not started. Make the value an integer (e.g. validate it in argsSchema), or use the value where it is not evaluated as arithmetic`,
    "WEFT_STEP_FAILED",
  );
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
    // Guarded to be an integer, so unquoted is safe, and dash refuses quotes inside $(( )).
    case "arith":
      return `\${${name}}`;
    default:
      return `"$${name}"`;
  }
}
