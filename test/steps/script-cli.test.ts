/**
 * The arithmetic rules of script commands seen from the command line: `weft validate` reports every refused
 * placement at its place in the file, and `weft run` fails the step, before the script starts, when a value
 * that bash would evaluate as arithmetic is not an integer.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupDirs, tempDir, weft, weftIn } from "../cli/helpers.js";

afterAll(() => cleanupDirs());

const HAS_BASH = existsSync("/bin/bash");

describe("script placements in bash arithmetic, through the CLI", () => {
  it("weft validate reports every refused placement with its position, and accepts guarded ones", async () => {
    const dir = tempDir();
    const file = join(dir, "names.yaml");
    writeFileSync(
      file,
      [
        "name: names",
        "steps:",
        "  - id: s",
        "    shell: /bin/bash",
        "    command: |",
        "      (( {{ args.n }} > 1 )) && echo big",
        "      [[ -v {{ args.a }} ]]",
        "      unset {{ args.b }}; read {{ args.c }}",
        "",
      ].join("\n"),
    );
    const r = await weft(["validate", file]);
    expect(r.code, r.stdout).toBe(2);
    const problems = r.lines.filter((l) => l.startsWith(`${file}:`));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/error WEFT_STEP_CONFIG: .*\{\{ args\.a \}\} at line 2, column 7 .*\[\[ -v … \]\]/);
    expect(problems[1]).toMatch(/\{\{ args\.b \}\} at line 3, column 7 .*\(unset\)/);
    expect(problems[2]).toMatch(/\{\{ args\.c \}\} at line 3, column 26 .*\(read\)/);
    expect(r.stdout).not.toContain("args.n");
  });

  it.skipIf(!HAS_BASH)(
    "weft run fails the step before the script starts when the value is not an integer (needs /bin/bash)",
    async () => {
      const dir = tempDir();
      const mark = join(dir, "pwned");
      const file = join(dir, "arith.yaml");
      writeFileSync(
        file,
        [
          "name: arith",
          "steps:",
          "  - id: s",
          "    shell: /bin/bash",
          `    command: "touch ${join(dir, "started")}; (( {{ args.n }} > 1 )) && echo big"`,
          "",
        ].join("\n"),
      );
      const ok = await weftIn(dir, ["run", file, "--arg", "n=2"]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(existsSync(join(dir, "started"))).toBe(true);
      const bad = await weftIn(dir, ["run", file, "--arg", `n=a[$(touch ${mark})]`], {
        env: { NO_COLOR: "1" },
      });
      expect(bad.code).toBe(1);
      expect(bad.stdout + bad.stderr).toMatch(/\{\{ args\.n \}\} is not an integer/);
      expect(existsSync(mark)).toBe(false);
    },
  );
});
