// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell text, where ${…} is shell syntax
/**
 * Property: whatever a value holds and wherever a `{{ }}` sits, running the step never runs code from the value.
 * Random commands are built from a catalogue of placements (ordinary ones and every arithmetic context) and run
 * with real shells on random payloads. Each case either is refused when the workflow is loaded, or fails the
 * step before the script starts (a value that must be an integer is not), or runs — and the marker file the
 * payloads try to create never exists.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.js";
import { scriptStepType } from "../../src/steps/script/index.js";
import { fakeContext, tempDir } from "./helpers.js";

const X = "{{ args.v }}";
const Y = "{{ args.w }}";

/** Placements every POSIX shell understands. */
const PORTABLE = [
  `echo ${X}`,
  `echo "p ${X} s" 'p ${Y} s'`,
  `echo p${X}s`,
  `echo \${U:-${X}} "\${U:-${Y}}" \${U#${X}}`,
  `cat <<EOF\n${X} $(echo ${Y})\nEOF`,
  `echo $(echo ${X}) "$(echo ${Y})"`,
  `echo \`echo ${X}\``,
  `case ${X} in a) echo a ;; esac`,
  `[ ${X} = 1 ] || test ${Y} -eq 1 || [ 1 -lt ${X} ]`,
  `echo $(( ${X} + 1 ))`,
  `echo "$(( ${Y} * 2 ))"`,
  `n=${X}; echo $((n + 1))`, // dash evaluates no code in arithmetic, not even a variable's value
];

/** Placements in bash syntax: quoting bash adds, and every context where bash evaluates arithmetic. */
const BASH = [
  `echo $'p ${X} s'`,
  `[[ ${X} == 1 ]] || [[ ${Y} = a* ]]`,
  `(( ${X} > 1 ))`,
  `for (( i = ${X}; i < 1; i++ )); do :; done`,
  `echo $[ ${X} ]`,
  `[[ ${X} -eq 1 ]]`,
  `[[ 1 -le ${Y} && ${X} -ne 2 ]]`,
  `if [[ $(echo ${X}) -gt 1 ]]; then :; fi`,
  `let "v=${X}"`,
  `let v=${Y}+1`,
  `echo \${a[${X}]} "\${a[${Y}]}" \${#a[${X}]}`,
  `a[${X}]=1`,
  `unset 'a[${X}]'`,
  `a=([${X}]=1 [2]=${Y})`,
  `echo \${V:${X}} "\${V:1:${Y}}"`,
  `echo \${a[@]:${X}}`,
  `set -- 1 2; echo \${@:${X}}`,
  `declare -i n=${X}`,
  `declare -i n; n=${Y}`,
  `typeset -i m; m+=${X}`,
  `f() { local -i k=${X}; }; f`,
  `declare -ai ia; ia=(${X} ${Y})`,
  `[[ -v a[${X}] ]]`,
  `OPTIND=${X}`,
  `RANDOM=${Y}`,
  `declare -i n; for n in ${X}; do :; done`,
  `declare -i n; read n <<< ${X}`,
  `declare -i n; printf -v n %s ${Y}`,
  `declare -i n; echo \${n:=${X}}`,
  `declare -ai arr; mapfile -t arr <<< ${X}`,
  `declare -i REPLY; read <<< ${Y}`,
  `declare -i OPTARG; getopts n: o -n ${X}`,
  `builtin let "v=${X}"`,
  `command declare -i c=${Y}`,
  `\\let "v=${X}"`,
  `"declare" "-i" q=${Y}`,
  `(( a[${X}] ))`,
  `function f { let "v=${X}"; }; f`,
  `declare -i n; declare -n r=n; r=${Y}`,
  `echo $(( $(echo ${X}) ))`,
  `[[ -v ${X} ]]`,
  `unset ${X}`,
  `read ${X} < /dev/null`,
  `echo \${!${X}}`,
  `declare ${X}=1`,
  `printf -v ${X} %s y`,
  `declare -n r=${X}`,
  `test -v ${Y}`,
];

/** Payloads: `m` is the marker file they try to create. */
const PAYLOADS: Array<(m: string) => string> = [
  (m) => `a[$(touch ${m})]`,
  (m) => `a[\`touch ${m}\`]`,
  (m) => `$(touch ${m})`,
  (m) => `a[b[$(touch ${m})]]`,
  (m) => `x=a[$(touch ${m})]`,
  (m) => `OPTIND=a[$(touch ${m})]`,
  (m) => `1+a[$(touch ${m})]`,
  (m) => `1\n+a[$(touch ${m})]`,
  (m) => ` a[$(touch ${m})] `,
  (m) => `'; touch ${m}; '`,
  (m) => `"; touch ${m} #`,
  (m) => `EOF\ntouch ${m}\nEOF`,
  (m) => `\${a[$(touch ${m})]}`,
  (m) => `a[$(touch ${m})]=1`,
  (m) => `V[$(touch ${m})]`,
  () => "99999999999999999999999999999",
  () => "-12",
  () => "+3",
  () => " 1 ",
  () => "1\n",
  () => "",
  () => "0x1f",
  () => "a",
  () => "2",
];

const payload = fc.constantFrom(...PAYLOADS);

function commands(catalogue: readonly string[]): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...catalogue), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("\n"));
}

async function runCase(shell: string, prelude: string, command: string, args: JsonObject): Promise<void> {
  const parsed = scriptStepType.configSchema.safeParse({ command: `${prelude}${command}`, shell });
  if (!parsed.success) return; // refused when the workflow is loaded
  const ctx = fakeContext({ args });
  await scriptStepType.run(ctx, parsed.data, new AbortController().signal).catch(() => undefined);
}

function property(shell: string, prelude: string, catalogue: readonly string[], numRuns: number) {
  const dir = tempDir("weft-prop-");
  let n = 0;
  return fc.assert(
    fc.asyncProperty(commands(catalogue), payload, payload, async (command, v, w) => {
      const mark = join(dir, `pwned-${n++}`);
      await runCase(shell, prelude, command, { v: v(mark), w: w(mark) });
      const pwned = existsSync(mark);
      rmSync(mark, { force: true });
      expect(pwned, `${shell} ran the payload of ${JSON.stringify({ command, v: v(mark), w: w(mark) })}`).toBe(false);
    }),
    { numRuns },
  );
}

const HAS_BASH = existsSync("/bin/bash");
const HAS_DASH = existsSync("/bin/dash");

describe("no value ever runs as code (property)", () => {
  it.skipIf(!HAS_BASH)("bash: random placements × payloads (needs /bin/bash)", async () => {
    await property("/bin/bash", "a=(1 2 3); V=abcdef; ", [...PORTABLE.slice(0, -1), ...BASH], 160);
  });

  it.skipIf(!HAS_DASH)("dash: random placements × payloads (needs /bin/dash)", async () => {
    await property("/bin/dash", "V=abcdef; ", PORTABLE, 80);
  });

  // Each entry once, followed by an assignment that bash evaluates, so that a construct the analysis fails to
  // end (and swallows the next command into) shows too.
  it.skipIf(!HAS_BASH)("bash: every placement once with a subscript payload (needs /bin/bash)", async () => {
    const dir = tempDir("weft-sweep-");
    for (const [k, command] of [...PORTABLE.slice(0, -1), ...BASH].entries()) {
      const mark = join(dir, `pwned-${k}`);
      const v = `a[$(touch ${mark})]`;
      await runCase("/bin/bash", "a=(1 2 3); V=abcdef; ", `${command}\nOPTIND=${Y}`, { v, w: v });
      expect(existsSync(mark), command).toBe(false);
    }
  });
});
