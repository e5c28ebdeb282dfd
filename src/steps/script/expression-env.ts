/**
 * Hands expression values to the shell. Small values travel as environment variables; a value too large for
 * the environment (Linux refuses one string over 128 KiB, and all of them over ~2 MiB, with E2BIG) is written
 * to a private temporary file that a one-line prelude reads into the shell variable of the same name, so the
 * compiled script does not change.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerminalError } from "../../core/errors.js";

/** A value longer than this (UTF-8 bytes) goes through a file. */
const MAX_ENV_VALUE_BYTES = 64 * 1024;
/** Once the values passed in the environment add up to this, further ones go through files. */
const MAX_ENV_TOTAL_BYTES = 512 * 1024;

export interface ExpressionEnv {
  env: Record<string, string>;
  /** Shell text to run before the script ("" when every value fits in the environment). */
  prelude: string;
  /** The private directory of the values written to files, if any (a sandbox must let the shell read it). */
  dir?: string | undefined;
  cleanup(): Promise<void>;
}

export async function prepareExpressionEnv(
  values: Array<{ name: string; source: string; value: string }>,
): Promise<ExpressionEnv> {
  const env: Record<string, string> = {};
  const spill: Array<{ name: string; value: string }> = [];
  let total = 0;
  for (const { name, source, value } of values) {
    if (value.includes("\0")) {
      throw new TerminalError(
        `the value of {{ ${source} }} contains a NUL character, which cannot be passed to a process`,
        "WEFT_STEP_FAILED",
      );
    }
    const bytes = Buffer.byteLength(value);
    if (bytes > MAX_ENV_VALUE_BYTES || total + bytes > MAX_ENV_TOTAL_BYTES) spill.push({ name, value });
    else {
      env[name] = value;
      total += bytes;
    }
  }
  if (spill.length === 0) return { env, prelude: "", cleanup: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), "weft-expr-"));
  const lines: string[] = [];
  for (const { name, value } of spill) {
    const file = join(dir, name);
    await writeFile(file, value, { mode: 0o600 });
    env[`${name}_FILE`] = file;
    // `printf x` protects trailing newlines from the command substitution; `%x` removes it again.
    lines.push(`${name}=$(cat -- "$${name}_FILE"; printf x); ${name}=\${${name}%x}`);
  }
  return { env, prelude: `${lines.join("; ")}\n`, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
