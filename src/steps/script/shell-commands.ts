/**
 * Word-level rules of the shell analysis (shell-template.ts lexes, this decides): which placements in a simple
 * command, a `[[ … ]]` or a compound array assignment does bash evaluate as arithmetic, and which ones make up
 * a variable name.
 *
 * Bash evaluates as arithmetic the operands of `-eq -ne -lt -le -gt -ge` in `[[ ]]`, the arguments of `let`,
 * array subscripts (`a[…]=`, `unset 'a[…]'`, `[[ -v a[…] ]]`, `read a[…]`, `a=([…]=…)`) and every value assigned
 * to a variable with the integer attribute (`declare -i`, `typeset -i`, `local -i`, also `n=…` or
 * `for n in …`, `${n:=…}`, `read n <<< …`, `mapfile`, `getopts` (OPTARG), after or before such a
 * declaration; OPTIND, RANDOM, SRANDOM and HISTCMD have it from the start). Arithmetic expands subscripts, and a subscript may hold `$( )`: such placements get `arithmetic`, and
 * the step checks at run time that their value is an integer. Where a placement is (part of) a variable name —
 * `[[ -v {{x}} ]]`, `test -v`, `declare`/`local`/`export`/`readonly`/`typeset`/`unset`/`read`/`printf -v`
 * names, `declare -n` targets — the value `a[$(cmd)]` would be a subscripted name; no integer check applies, so
 * these are `refused`. Pure.
 */

/** One `{{ }}` of the command, with what the analysis found about where it sits. */
export interface Placement {
  source: string;
  /** Where its source starts in the command (just after `{{`). */
  offset: number;
  /** Set when bash evaluates the value as arithmetic: where, e.g. "inside (( … ))". */
  arithmetic?: string;
  /** Set when the placement is refused: why. */
  refused?: string;
}

/** A word of a command as written (quotes included; each placement is a NUL character). */
export interface Word {
  raw: string;
  placements: Array<{ placement: Placement; at: number }>;
  /** The placements inside each `$( )` or backquoted command of the word, with where that starts. */
  nested: Array<{ placements: Placement[]; at: number }>;
  /** The word is the target of a redirection (`> file`, `<<< text`), not an argument. */
  redirect?: "file" | "herestring";
}

/** What the analysis of one command learns for the whole script (the integer attribute is script-wide). */
export interface ScriptFacts {
  integerNames: Set<string>;
  /** `declare -n ref=target`: an assignment to ref assigns to target. */
  namerefs: Array<{ ref: string; target: string }>;
  /** Placements whose value is assigned to `name`: arithmetic if `name` turns out to be an integer. */
  assigned: Array<{ name: string; placements: Placement[] }>;
}

/** Bash's own variables with the integer attribute that evaluate what is assigned to them. */
export const BUILTIN_INTEGER_NAMES = ["OPTIND", "RANDOM", "SRANDOM", "HISTCMD"];

const RESERVED = new Set(["!", "{", "}", "if", "then", "elif", "else", "fi", "do", "done", "while", "until", "time"]);
const ARITH_OPERATORS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);
const NAME_TESTS = new Set(["-v", "-R"]);
const DECLARE = new Set(["declare", "typeset", "local", "export", "readonly"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export const SUBSCRIPT = "an array subscript, which bash evaluates as arithmetic";

function arith(placement: Placement, what: string): void {
  if (placement.arithmetic === undefined) placement.arithmetic = what;
}

function refuse(placement: Placement, why: string): void {
  if (placement.refused === undefined) placement.refused = why;
}

/** The word without quote characters and backslashes, and where each placement lands in it. */
/** Calls `fn` for each placement of the word, those inside its `$( )` and backquotes included (at their start). */
function eachPlacement(word: Word, fn: (placement: Placement, at: number) => void): void {
  for (const { placement, at } of word.placements) fn(placement, at);
  for (const { placements, at } of word.nested) for (const placement of placements) fn(placement, at);
}

function plain(word: Word): { text: string; at: (rawIndex: number) => number } {
  let text = "";
  const map: number[] = [];
  for (let i = 0; i < word.raw.length; i++) {
    map.push(text.length);
    const c = word.raw[i] as string;
    const quote = (k: number) => word.raw[k] === "'" || word.raw[k] === '"';
    if (!quote(i) && c !== "\\" && !(c === "$" && quote(i + 1))) text += c;
  }
  return { text, at: (rawIndex) => map[rawIndex] ?? text.length };
}

interface Assignment {
  /** The variable name, or "" when the word does not start with one. */
  name: string;
  subscript?: [number, number];
  /** Index in the plain text where the value starts (after `=`), or undefined when there is no `=`. */
  value?: number;
}

function parseAssignment(text: string): Assignment {
  const name = NAME.exec(text)?.[0] ?? "";
  let i = name.length;
  let subscript: [number, number] | undefined;
  if (name !== "" && text[i] === "[") {
    let depth = 0;
    let end = text.length;
    for (let j = i + 1; j < text.length; j++) {
      if (text[j] === "[") depth++;
      else if (text[j] === "]") {
        if (depth === 0) {
          end = j;
          break;
        }
        depth--;
      }
    }
    subscript = [i, end];
    i = end + 1;
  }
  if (text[i] === "+") i++;
  return text[i] === "=" ? { name, subscript, value: i + 1 } : { name, subscript };
}

/** `name`, `name[sub]`, `name=value`: sorts the word's placements into subscript, name and value. */
function assignmentParts(word: Word): { assignment: Assignment; name: Placement[]; value: Placement[] } {
  const { text, at } = plain(word);
  const assignment = parseAssignment(text);
  const name: Placement[] = [];
  const value: Placement[] = [];
  eachPlacement(word, (placement, rawAt) => {
    const p = at(rawAt);
    const sub = assignment.subscript;
    if (sub && p > sub[0] && p < sub[1]) arith(placement, SUBSCRIPT);
    else if (assignment.value !== undefined && p >= assignment.value) value.push(placement);
    else name.push(placement);
  });
  return { assignment, name, value };
}

/** A word that names a variable (`unset W`, `read W`, `[[ -v W ]]`): subscripts guarded, names refused. */
function nameWord(word: Word, where: string): void {
  for (const placement of assignmentParts(word).name) {
    refuse(placement, `is used as a variable name (${where}), where a value like a[$(cmd)] would run cmd`);
  }
}

function assignedTo(facts: ScriptFacts, name: string, placements: Placement[]): void {
  if (name !== "" && placements.length > 0) facts.assigned.push({ name, placements });
}

function all(words: readonly Word[]): Placement[] {
  const placements: Placement[] = [];
  for (const word of words) eachPlacement(word, (placement) => placements.push(placement));
  return placements;
}

/** The words of `[[ … ]]`, between the brackets. */
export function analyseCondition(words: readonly Word[]): void {
  words.forEach((word, i) => {
    if (ARITH_OPERATORS.has(word.raw)) {
      for (const operand of [words[i - 1], words[i + 1]]) {
        if (!operand) continue;
        eachPlacement(operand, (placement) => {
          arith(placement, `an operand of ${word.raw} in [[ … ]], which bash evaluates as arithmetic`);
        });
      }
    } else if (NAME_TESTS.has(word.raw)) {
      const operand = words[i + 1];
      if (operand) nameWord(operand, `[[ ${word.raw} … ]]`);
    }
  });
}

/** The elements of `name=( … )`: subscripts are arithmetic, values too when `name` is an integer array. */
export function analyseCompound(name: string, words: readonly Word[], facts: ScriptFacts): void {
  for (const word of words) {
    const { text, at } = plain(word);
    let close = -1;
    if (text.startsWith("[")) close = text.indexOf("]=");
    const values: Placement[] = [];
    eachPlacement(word, (placement, rawAt) => {
      if (close > 0 && at(rawAt) < close) arith(placement, SUBSCRIPT);
      else values.push(placement);
    });
    assignedTo(facts, name, values);
  }
}

/** A simple command, reserved words and redirections included. */
export function analyseCommand(words: readonly Word[], facts: ScriptFacts): void {
  let i = 0;
  for (;;) {
    const raw = words[i]?.raw;
    if (raw === "function")
      i += 2; // `function name {`: the body's first command follows
    else if (raw !== undefined && RESERVED.has(raw)) i++;
    else break;
  }
  const args = words.slice(i).filter((w) => w.redirect === undefined);
  const first = args[0];
  if (!first) return;
  if ((first.raw === "for" || first.raw === "select") && args[2]?.raw === "in") {
    assignedTo(facts, args[1]?.raw ?? "", all(args.slice(3)));
    return;
  }
  let n = 0;
  for (; n < args.length; n++) {
    const word = args[n] as Word;
    const { assignment, value } = assignmentParts(word);
    if (assignment.value === undefined || assignment.name === "" || !word.raw.startsWith(assignment.name)) break;
    assignedTo(facts, assignment.name, value);
  }
  // `builtin let …`, `command declare …`: the builtin that follows is the one that runs.
  while (args[n] && /^(builtin|command)$/.test(plain(args[n] as Word).text)) {
    n++;
    while (args[n] && option(args[n] as Word) !== undefined) n++;
  }
  const command = args[n];
  if (!command) return;
  const rest = args.slice(n + 1);
  // Quoting a builtin's name (`\let`, `"declare"`) does not stop bash from running it.
  const name = plain(command).text;
  switch (name) {
    case "let":
      for (const placement of all(rest)) arith(placement, "an argument of let, which bash evaluates as arithmetic");
      return;
    case "unset":
      for (const word of rest) if (!option(word)) nameWord(word, "unset");
      return;
    case "test":
    case "[":
      rest.forEach((word, k) => {
        const operand = rest[k + 1];
        if (NAME_TESTS.has(plain(word).text) && operand) nameWord(operand, `${name} ${plain(word).text}`);
      });
      return;
    case "printf":
      if (rest[0] && plain(rest[0]).text === "-v" && rest[1]) {
        nameWord(rest[1], "printf -v");
        assignedTo(facts, assignmentParts(rest[1]).assignment.name, all(rest.slice(2)));
      }
      return;
    case "read":
      readCommand(rest, words, facts, { name: "a", data: "dinNptu", default: "REPLY", refuse: true });
      return;
    case "mapfile":
    case "readarray":
      readCommand(rest, words, facts, { name: "", data: "dnOsuCc", default: "MAPFILE", refuse: false });
      return;
    case "getopts":
      assignedTo(facts, "OPTARG", all(rest.slice(2)));
      return;
  }
  if (DECLARE.has(name)) declareCommand(name, rest, facts);
}

/** An option word such as `-i` or `+x` (quoted or not), with no placement in it. */
function option(word: Word): string | undefined {
  const text = plain(word).text;
  const fixed = word.placements.length === 0 && word.nested.length === 0;
  return /^[-+]/.test(text) && fixed ? text : undefined;
}

/**
 * `read`/`mapfile`: the words naming variables (refused for `read`, where bash accepts `a[$(cmd)]`), and what
 * a here-string gives them (arithmetic when a variable is an integer). `opts.name`: the option whose argument is
 * a variable name; `opts.data`: options whose argument is data.
 */
function readCommand(
  rest: readonly Word[],
  words: readonly Word[],
  facts: ScriptFacts,
  opts: { name: string; data: string; default: string; refuse: boolean },
): void {
  const names: string[] = [];
  const addName = (word: Word, where: string) => {
    if (opts.refuse) nameWord(word, where);
    names.push(assignmentParts(word).assignment.name);
  };
  for (let k = 0; k < rest.length; k++) {
    const word = rest[k] as Word;
    const flags = option(word);
    if (flags !== undefined) {
      const last = flags[flags.length - 1] as string;
      const next = rest[k + 1];
      if (last === opts.name && next) addName(next, `read ${flags}`);
      if ((last === opts.name || opts.data.includes(last)) && next) k++;
      continue;
    }
    addName(word, "read");
  }
  if (names.length === 0) names.push(opts.default);
  const input = all(words.filter((w) => w.redirect === "herestring"));
  for (const name of names) assignedTo(facts, name, input);
}

function declareCommand(builtin: string, rest: readonly Word[], facts: ScriptFacts): void {
  let flags = "";
  for (const word of rest) {
    const flag = option(word);
    if (flag !== undefined) {
      // `+i` removes the attribute; it is kept as "integer somewhere", which errs on the safe side.
      flags += flag.slice(1);
      continue;
    }
    const { assignment, name, value } = assignmentParts(word);
    for (const placement of name) refuse(placement, `is used as a variable name (${builtin})`);
    if (flags.includes("i") && assignment.name !== "") facts.integerNames.add(assignment.name);
    if (flags.includes("n")) {
      const target = plain(word).text.slice((assignment.value ?? 0) as number);
      if (assignment.value !== undefined && NAME.test(target)) {
        facts.namerefs.push({ ref: assignment.name, target: NAME.exec(target)?.[0] ?? "" });
      }
      for (const placement of value) {
        refuse(placement, `is the target of a nameref (${builtin} -n), a variable name where a[$(cmd)] would run cmd`);
      }
    } else assignedTo(facts, assignment.name, value);
  }
}

/** Marks the placements assigned to variables that have the integer attribute somewhere in the script. */
export function resolveAssignments(facts: ScriptFacts): void {
  // A nameref to an integer variable assigns to it: `declare -n r=n; r=…` (followed to the end of a chain).
  for (let changed = true; changed; ) {
    changed = false;
    for (const { ref, target } of facts.namerefs) {
      if (facts.integerNames.has(target) && !facts.integerNames.has(ref)) {
        facts.integerNames.add(ref);
        changed = true;
      }
    }
  }
  for (const { name, placements } of facts.assigned) {
    if (!facts.integerNames.has(name)) continue;
    for (const placement of placements) {
      arith(placement, `assigned to ${name}, an integer variable (declare -i), so bash evaluates it as arithmetic`);
    }
  }
}
