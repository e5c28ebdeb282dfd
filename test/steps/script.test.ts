// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell text, where ${…} is shell syntax
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RetryableError, TerminalError, WeftError } from "../../src/core/errors.js";
import type { JsonObject } from "../../src/core/json.js";
import { liveGroupMembers } from "../../src/process/group.js";
import { compileShellTemplate, ShellTemplateError, scriptStepType } from "../../src/steps/script/index.js";
import { type FakeContext, fakeContext, lines, tempDir } from "./helpers.js";

async function run(
  command: string,
  opts: { args?: JsonObject; ctx?: FakeContext; signal?: AbortSignal; cfg?: JsonObject } = {},
) {
  const ctx = opts.ctx ?? fakeContext({ args: opts.args ?? {} });
  const config = scriptStepType.configSchema.parse({ command, ...opts.cfg });
  const outcome = await scriptStepType.run(ctx, config, opts.signal ?? new AbortController().signal);
  if (outcome.kind !== "completed") throw new Error(`unexpected outcome ${outcome.kind}`);
  return { ctx, output: outcome.output as JsonObject };
}

async function failure(command: string, opts: Parameters<typeof run>[1] = {}): Promise<unknown> {
  try {
    await run(command, opts);
  } catch (err) {
    return err;
  }
  throw new Error("expected the script to fail");
}

/** Whether no process of the group is left (zombies that an unreaping init keeps around do not count). */
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
  return liveGroupMembers(pgid).length === 0;
}

const waitFor = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("compileShellTemplate", () => {
  it.each([
    ["pnpm deploy --env {{ args.environment }}", 'pnpm deploy --env "$WEFT_EXPR_0"'],
    ['echo "hi {{ x }}"', 'echo "hi ${WEFT_EXPR_0}"'],
    ["echo 'a{{x}}b'", `echo 'a'"$WEFT_EXPR_0"'b'`],
    ['echo "$(basename {{ x }})"', 'echo "$(basename "$WEFT_EXPR_0")"'],
    ["echo `cat {{ x }}`", 'echo `cat "$WEFT_EXPR_0"`'],
    ['echo "${NAME:-{{ x }}}"', 'echo "${NAME:-${WEFT_EXPR_0}}"'],
    ["echo ${NAME:-{{ x }}}", 'echo ${NAME:-"$WEFT_EXPR_0"}'],
    ["cat <<EOF\nhello {{ x }}\nEOF\necho {{ x }}", 'cat <<EOF\nhello ${WEFT_EXPR_0}\nEOF\necho "$WEFT_EXPR_0"'],
    [
      "cat <<-EOF\n\t'{{ x }}'\n\tEOF\necho '{{ x }}'",
      `cat <<-EOF\n\t'\${WEFT_EXPR_0}'\n\tEOF\necho ''"$WEFT_EXPR_0"''`,
    ],
    ['echo "it\'s" {{ x }} # {{ y }}', 'echo "it\'s" "$WEFT_EXPR_0" # "$WEFT_EXPR_1"'],
    ["echo \\\\{{ x }}", 'echo \\\\"$WEFT_EXPR_0"'],
    ["echo {{ a }} {{ b }} {{ a }}", 'echo "$WEFT_EXPR_0" "$WEFT_EXPR_1" "$WEFT_EXPR_0"'],
    ["echo 'don''t' {{ x }}", `echo 'don''t' "$WEFT_EXPR_0"`],
    ["echo no templates", "echo no templates"],
  ])("%j → %j", (command, script) => {
    expect(compileShellTemplate(command).script).toBe(script);
  });

  it("lists each distinct expression once, in order", () => {
    expect(compileShellTemplate("x {{ b }} {{a}} {{ b }}").expressions).toEqual([
      { name: "WEFT_EXPR_0", source: "b" },
      { name: "WEFT_EXPR_1", source: "a" },
    ]);
  });

  it("handles bash $'…' quoting only when asked", () => {
    expect(compileShellTemplate("echo $'a{{ x }}b'", { ansiCQuoting: true }).script).toBe(
      `echo $'a'"$WEFT_EXPR_0"$'b'`,
    );
    expect(compileShellTemplate("echo $'a{{ x }}b'").script).toBe(`echo $'a'"$WEFT_EXPR_0"'b'`);
  });

  it.each([
    ["echo \\{{ x }}", /follows a backslash/],
    ['echo "\\{{ x }}"', /follows a backslash/],
    ["[[ -v {{ x }} ]]", /variable name/],
    ["cat <<'EOF'\n{{ x }}\nEOF", /quoted here-document/],
    ['cat <<"EOF"\n{{ x }}\nEOF', /quoted here-document/],
    ["cat <<EOF{{ x }}\nEOF", /here-document delimiter/],
  ])("refuses %j", (command, message) => {
    expect(() => compileShellTemplate(command)).toThrow(message);
    expect(() => compileShellTemplate(command)).toThrow(TerminalError);
  });

  it("says where the refused placeholder is, for every one", () => {
    expect(() => compileShellTemplate("true\nunset {{ x }}")).toThrow(/line 2, column 7/);
    try {
      compileShellTemplate("read {{ a }}\necho \\{{ b }} {{ c }}\nunset {{ d }}");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ShellTemplateError);
      expect((err as ShellTemplateError).problems).toEqual([
        expect.stringMatching(/^\{\{ a \}\} at line 1, column 6 .*variable name \(read\)/),
        expect.stringMatching(/^\{\{ b \}\} at line 2, column 7 .*backslash/),
        expect.stringMatching(/^\{\{ d \}\} at line 3, column 7 .*variable name \(unset\)/),
      ]);
    }
  });

  it("refuses a command nested more than 32 levels deep (the analysis walks the nesting for each placement)", () => {
    expect(() => compileShellTemplate(`echo ${"$(".repeat(20)}{{ x }}${")".repeat(20)}`)).not.toThrow();
    expect(() => compileShellTemplate(`echo ${'"$('.repeat(20)}{{ x }}`)).toThrow(/more than 32 levels deep/);
  });

  it("rejects a refused command when the workflow is loaded, with one issue per placement", () => {
    const parsed = scriptStepType.configSchema.safeParse({ command: "read {{ args.a }} {{ args.b }}" });
    expect(parsed.error?.issues.map((i) => [i.path, i.message.slice(0, 13)])).toEqual([
      [["command"], "{{ args.a }} "],
      [["command"], "{{ args.b }} "],
    ]);
  });

  it.each<[string, RegExp | undefined]>([
    ["echo $(( {{ x }} + 1 ))", /^\{\{ x \}\} at line 1, column 10 of the command is inside \$\(\( … \)\)/],
    ["true\n(( {{ x }} ))", /line 2, column 4 .* inside \(\( … \)\)/],
    ["[[ {{ x }} -ge 2 ]]", /operand of -ge in \[\[ … \]\]/],
    ["[[ {{ x }} == 2 ]]", undefined],
    ["[ {{ x }} -eq 2 ]", undefined],
    ["let v={{ x }}+1", /argument of let/],
    ["echo ${a[{{ x }}]} ${#a[{{ x }}]}", /array subscript/],
    ["echo ${V:-{{ x }}} ${V#{{ x }}} ${V/{{ x }}/y}", undefined],
    ["echo ${V: -{{ x }}}", /substring offset/],
    ["declare -i n; n={{ x }}", /assigned to n, an integer variable/],
    ["[[ 1 -eq 1 ]]\nOPTIND={{ x }}", /assigned to OPTIND/],
    ["[[ 1 ]];OPTIND={{ x }}", /assigned to OPTIND/],
    ["echo $([[ 1 ]]) $(( {{ x }} ))", /inside \$\(\( … \)\)/],
    ["(( $(echo {{ x }}) > 1 ))", /inside \(\( … \)\)/],
    ["let v=$(echo `echo {{ x }}`)", /argument of let/],
    ['echo ${a[$(echo "{{ x }}")]}', /array subscript/],
    ["n={{ x }}; m=1; declare -i m", undefined],
    ["echo '(( {{ x }} ))' \"[[ {{ x }} -eq 1 ]]\" a[{{ x }}]", undefined],
    ["cat <<EOF\n(( {{ x }} )) let {{ x }}\nEOF", undefined],
    ["echo $(echo {{ x }}) # (( {{ x }} ))", undefined],
  ])("marks %j as arithmetic: %s", (command, where) => {
    const [expr] = compileShellTemplate(command, { ansiCQuoting: true }).expressions;
    if (where) expect(expr?.integer).toMatch(where);
    else expect(expr?.integer).toBeUndefined();
  });
});

describe("script injection", () => {
  const dir = tempDir("weft-inject-");
  const mark = join(dir, "pwned");
  const payloads = [
    `$(touch ${mark})`,
    `\`touch ${mark}\``,
    `; touch ${mark}`,
    `a\nb; touch ${mark}`,
    `"; touch ${mark}; "`,
    `' ; touch ${mark} '`,
    `'"; touch ${mark}; echo "'`,
    `$(touch ${mark})'$(touch ${mark})'"$(touch ${mark})"`,
    "$HOME",
    "${HOME}",
    "*",
    "--help",
    "-n",
    "a  b\tc",
    "",
    "\\",
    "\\n",
    "back\\",
    "}}{{",
    `EOF\ntouch ${mark}\nEOF`,
    "$((1+1))",
    "%s%d",
  ];
  const contexts: Array<[string, string, (v: string) => string]> = [
    ["unquoted", "printf '[%s]' {{ args.v }}", (v) => `[${v}]`],
    ["double quotes", `printf '[%s]' "pre {{ args.v }} post"`, (v) => `[pre ${v} post]`],
    ["single quotes", `printf '[%s]' 'pre {{ args.v }} post'`, (v) => `[pre ${v} post]`],
    ["command substitution in double quotes", `printf '[%s]' "$(printf '%s' {{ args.v }})"`, (v) => `[${v}]`],
    ["backticks", "printf '[%s]' \"`printf '%s' {{ args.v }}`\"", (v) => `[${v}]`],
    ["parameter default", `printf '[%s]' "\${WEFT_UNSET_VAR:-{{ args.v }}}"`, (v) => `[${v}]`],
    ["here-document", "cat <<EOF\n[{{ args.v }}]\nEOF", (v) => `[${v}]\n`],
    ["adjacent to a word", "printf '[%s]' x{{ args.v }}y", (v) => `[x${v}y]`],
  ];

  for (const [name, command, expected] of contexts) {
    it(`keeps every value literal: ${name}`, async () => {
      for (const v of payloads) {
        // Command substitution removes trailing newlines: no payload ends with one.
        const expectedOut = name === "parameter default" && v === "" ? "[]" : expected(v);
        const { output } = await run(command, { args: { v } });
        expect(output.stdout, JSON.stringify(v)).toBe(expectedOut);
        expect(existsSync(mark), JSON.stringify(v)).toBe(false);
      }
    });
  }

  it.skipIf(!HAS_BASH)("keeps values literal in bash $'…' strings (needs /bin/bash)", async () => {
    for (const v of payloads) {
      const { output } = await run("printf '[%s]' $'pre\\t{{ args.v }}'", { args: { v }, cfg: { shell: "/bin/bash" } });
      expect(output.stdout, JSON.stringify(v)).toBe(`[pre\t${v}]`);
      expect(existsSync(mark)).toBe(false);
    }
  });

  it("passes non-string values as their template text", async () => {
    const { output } = await run("printf '[%s]' {{ args.n }} {{ args.o }} {{ args.z }}", {
      args: { n: 42, o: { a: [1, "x"] }, z: null },
    });
    expect(output.stdout).toBe('[42][{"a":[1,"x"]}][]');
  });

  it("passes a value larger than the environment allows, byte for byte", async () => {
    const big = `${"x".repeat(300_000)}\n\n`;
    const { output } = await run("printf '%s' {{ args.big }} | wc -c; printf '[%s]' \"{{ args.tail }}\"", {
      args: { big, tail: "end\n" },
    });
    const [count, rest] = (output.stdout as string).split("\n", 2);
    expect(Number(count?.trim())).toBe(big.length);
    expect((output.stdout as string).endsWith("[end\n]")).toBe(true);
    expect(rest).toBe("[end");
  });

  it("refuses a value with a NUL character", async () => {
    const err = await failure("printf %s {{ args.v }}", { args: { v: "a\u0000b" } });
    expect(err).toBeInstanceOf(TerminalError);
    expect(String(err)).toMatch(/NUL/);
  });
});

const HAS_BASH = existsSync("/bin/bash");

describe.skipIf(!HAS_BASH)("bash arithmetic contexts (needs /bin/bash)", () => {
  const dir = tempDir("weft-arith-");
  const mark = join(dir, "pwned");
  const payload = `a[$(touch ${mark})]`;
  // Each command but $(( )) (refused before) was accepted and ran the payload before arithmetic contexts were
  // guarded.
  const commands = [
    "[[ {{ args.v }} -eq 1 ]]",
    "[[ 1 -ne {{ args.v }} ]]",
    "(( {{ args.v }} > 1 ))",
    "for (( i = {{ args.v }}; i < 1; i++ )); do :; done",
    'let "v={{ args.v }}"',
    "a=(1 2); echo ${a[{{ args.v }}]}",
    'a=(1 2); echo "${a[{{ args.v }}]}"',
    "a=(1 2); a[{{ args.v }}]=3",
    "a=(1 2); unset 'a[{{ args.v }}]'",
    "a=(1 2); a=([{{ args.v }}]=3)",
    "V=abc; echo ${V:{{ args.v }}}",
    "V=abc; echo ${V:1:{{ args.v }}}",
    "a=(1 2); echo ${a[@]:{{ args.v }}}",
    "set -- 1 2; echo ${@:{{ args.v }}}",
    "declare -i n; n={{ args.v }}",
    "declare -i n={{ args.v }}",
    "typeset -i n; n+={{ args.v }}",
    "f() { local -i n={{ args.v }}; }; f",
    "for k in 1 2; do n={{ args.v }}; declare -i n; done",
    "declare -i n; for n in {{ args.v }}; do :; done",
    "declare -ai a; a=({{ args.v }})",
    "OPTIND={{ args.v }}",
    "RANDOM={{ args.v }}",
    "echo $[ {{ args.v }} ]",
    "echo $(( {{ args.v }} + 1 ))",
    "a=(1); [[ -v a[{{ args.v }}] ]]",
  ];
  for (const command of commands) {
    it(`never runs a value: ${command}`, async () => {
      const err = await run(command, { args: { v: payload }, cfg: { shell: "/bin/bash" } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const pwned = existsSync(mark);
      rmSync(mark, { force: true });
      expect(pwned, "the payload ran").toBe(false);
      expect(err).toBeInstanceOf(TerminalError);
      expect(String(err)).toMatch(/not an integer/);
    });
  }

  it("still runs them with integer values", async () => {
    const { output } = await run(
      '(( {{ args.n }} > 1 )) && echo big; a=(x y z); echo "${a[{{ args.n }}]}" $(( {{ args.n }} * 2 )); [[ {{ args.n }} -eq 2 ]] && echo two',
      { args: { n: 2 }, cfg: { shell: "/bin/bash" } },
    );
    expect(output.stdout).toBe("big\nz 4\ntwo\n");
  });

  // A placement that becomes (part of) a variable name cannot be guarded as an integer: refused when loaded.
  it.each([
    "[[ -v {{ args.v }} ]]",
    "test -v {{ args.v }}",
    "[ -v {{ args.v }} ]",
    "echo ${!{{ args.v }}}",
    "declare {{ args.v }}=1",
    "f() { local {{ args.v }}=1; }; f",
    "unset {{ args.v }}",
    "read {{ args.v }} < /dev/null",
    "printf -v {{ args.v }} %s x",
    "declare -n r={{ args.v }}",
  ])("refuses %j when the workflow is loaded", (command) => {
    const parsed = scriptStepType.configSchema.safeParse({ command, shell: "/bin/bash" });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/variable name|nameref/);
  });
});

describe("script execution", () => {
  it("returns stdout, stderr, trimmed result and exit code", async () => {
    const { output } = await run("echo out; echo err >&2; echo more");
    expect(output).toEqual({ exitCode: 0, stdout: "out\nmore\n", stderr: "err\n", result: "out\nmore" });
  });

  it("parses JSON stdout", async () => {
    const { output } = await run(`echo '{"a": 1, "b": [true, null]}'`);
    expect(output.json).toEqual({ a: 1, b: [true, null] });
    expect(output.result).toBe('{"a": 1, "b": [true, null]}');
    const plain = await run("echo not json");
    expect(plain.output).not.toHaveProperty("json");
  });

  it("streams lines in order, flushing a last partial line", async () => {
    const { ctx } = await run("echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three; printf 'partial'");
    expect(ctx.logs.filter((l) => l.stream !== "info")).toEqual([
      { stream: "stdout", text: "one" },
      { stream: "stderr", text: "two" },
      { stream: "stdout", text: "three" },
      { stream: "stdout", text: "partial" },
    ]);
  });

  it("splits CRLF lines and multi-byte characters across chunks", async () => {
    const { ctx, output } = await run("printf 'a\\r\\nb\\n'; printf '\\342\\202'; sleep 0.05; printf '\\254 euro\\n'");
    expect(lines(ctx, "stdout")).toEqual(["a", "b", "€ euro"]);
    expect(output.stdout).toBe("a\r\nb\n€ euro\n");
  });

  it("fails retryably with the exit code and the last lines of stderr", async () => {
    const err = await failure("echo working; echo 'first problem' >&2; echo 'bad thing happened' >&2; exit 3");
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe("WEFT_SCRIPT_EXIT");
    expect((err as Error).message).toMatch(/exited with code 3/);
    expect((err as Error).message).toMatch(/first problem\nbad thing happened/);
  });

  it("names the signal that killed the shell", async () => {
    const err = await failure("kill -KILL $$");
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/signal SIGKILL/);
  });

  it("runs in the project directory by default, or in a rendered cwd relative to it", async () => {
    const ctx = fakeContext({ args: { sub: "nested" } });
    mkdirSync(join(ctx.projectPath, "nested"));
    const a = await run("pwd", { ctx });
    expect(a.output.result).toBe(ctx.projectPath);
    const b = await run("pwd", {
      ctx: fakeContext({ projectPath: ctx.projectPath, args: { sub: "nested" } }),
      cfg: { cwd: "{{ args.sub }}" },
    });
    expect(b.output.result).toBe(join(ctx.projectPath, "nested"));
  });

  it("fails terminally, naming the path, when cwd is missing", async () => {
    const ctx = fakeContext();
    const err = await failure("pwd", { ctx, cfg: { cwd: "nope" } });
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toContain(join(ctx.projectPath, "nope"));
  });

  it("passes WEFT_* variables and rendered config env, inheriting the process environment", async () => {
    const { ctx, output } = await run(
      'echo "$WEFT_RUN_ID|$WEFT_STEP_ID|$WEFT_STEP_KEY|$WEFT_ATTEMPT|$WEFT_IDEMPOTENCY_KEY|$GREETING|$RAW"; test -n "$PATH"',
      { args: { who: "world" }, cfg: { env: { GREETING: "hello {{ args.who }}", RAW: "$(echo no)" } } },
    );
    expect(output.result).toBe("run-1|step|step|1|run-1:step:0|hello world|$(echo no)");
    expect(ctx.inputs[0]).toMatchObject({
      command: expect.stringContaining("WEFT_RUN_ID"),
      env: ["WEFT_RUN_ID", "WEFT_STEP_ID", "WEFT_STEP_KEY", "WEFT_ATTEMPT", "WEFT_IDEMPOTENCY_KEY", "GREETING", "RAW"],
    });
  });

  it("records the command, the compiled script and the working directory", async () => {
    const { ctx } = await run("echo {{ args.x }}", { args: { x: "1" } });
    expect(ctx.inputs).toEqual([
      {
        command: "echo {{ args.x }}",
        script: 'echo "$WEFT_EXPR_0"',
        cwd: ctx.projectPath,
        shell: "/bin/sh",
        env: ["WEFT_RUN_ID", "WEFT_STEP_ID", "WEFT_STEP_KEY", "WEFT_ATTEMPT", "WEFT_IDEMPOTENCY_KEY"],
        expressions: [{ name: "WEFT_EXPR_0", source: "args.x" }],
      },
    ]);
  });

  it("rejects reserved and invalid env names in config", () => {
    expect(scriptStepType.configSchema.safeParse({ command: "x", env: { WEFT_EXPR_0: "a" } }).success).toBe(false);
    expect(scriptStepType.configSchema.safeParse({ command: "x", env: { "A-B": "a" } }).success).toBe(false);
    expect(scriptStepType.configSchema.safeParse({ command: "x", typo: 1 }).success).toBe(false);
  });

  it("fails terminally when the shell cannot be started", async () => {
    const err = await failure("true", { cfg: { shell: "/no/such/shell" } });
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toMatch(/\/no\/such\/shell/);
  });

  it("keeps the last 1 MiB of a long output and says so", async () => {
    const { ctx, output } = await run("head -c 3000000 /dev/zero | tr '\\0' a; echo; echo end");
    const stdout = output.stdout as string;
    expect(Buffer.byteLength(stdout)).toBe(1024 * 1024);
    expect(stdout.endsWith("a\nend\n")).toBe(true);
    expect(output.truncated).toEqual({ stdout: 3_000_005 - 1024 * 1024 });
    expect(output).not.toHaveProperty("json");
    expect(lines(ctx, "info").join("\n")).toMatch(/stdout was longer than 1 MiB/);
  });
});

describe("script abort", () => {
  async function startAndAbort(command: string, reason: unknown) {
    const ctx = fakeContext();
    const controller = new AbortController();
    const started = Date.now();
    const pending = run(command, { ctx, signal: controller.signal });
    const settled = pending.then(
      () => undefined as unknown,
      (err: unknown) => err,
    );
    await waitFor(() => lines(ctx, "stdout").length > 0);
    const pgid = Number(lines(ctx, "stdout")[0]);
    controller.abort(reason);
    const err = await settled;
    return { err, pgid, ms: Date.now() - started };
  }

  it("kills the whole process group, grandchildren included, and rejects with the reason", async () => {
    const reason = new WeftError("WEFT_TIMEOUT", "step timed out after 300ms");
    const { err, pgid } = await startAndAbort("echo $$; sleep 30 & sleep 30", reason);
    expect(err).toBe(reason);
    expect(groupGone(pgid)).toBe(true);
  });

  it("escalates to SIGKILL when the processes ignore SIGTERM", async () => {
    const { err, pgid, ms } = await startAndAbort("trap '' TERM; echo $$; sleep 30 & sleep 30", new Error("stop"));
    expect((err as Error).message).toBe("stop");
    expect(ms).toBeGreaterThanOrEqual(2000);
    expect(groupGone(pgid)).toBe(true);
  });

  it("rejects with WEFT_CANCELLED when the reason is not an Error", async () => {
    const { err, pgid } = await startAndAbort("echo $$; sleep 30", "cancelled by user");
    expect(err).toBeInstanceOf(WeftError);
    expect((err as WeftError).code).toBe("WEFT_CANCELLED");
    expect(groupGone(pgid)).toBe(true);
  });

  it("does not start when the signal is already aborted", async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const reason = new Error("already");
    controller.abort(reason);
    const err = await failure(`touch ${join(dir, "ran")}`, { signal: controller.signal });
    expect(err).toBe(reason);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  it("terminates background processes left behind by a script that exited", async () => {
    const { ctx, output } = await run("echo $$; sleep 30 > /dev/null 2>&1 &");
    expect(groupGone(Number(output.result))).toBe(true);
    expect(lines(ctx, "info").join()).toMatch(/background/);
  });

  it("does not wait for background processes that hold the output pipes", async () => {
    const started = Date.now();
    const { output } = await run("echo $$; sleep 30 &");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(groupGone(Number(output.result))).toBe(true);
  });
});
