/**
 * The two modes of a script that writes a generated file (gen-client.js, gen-schema.js): write it, or with
 * `--check` exit 1 when the file on disk differs from what would be written (the check CI runs through a test).
 * `--file <path>` points either at another copy.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file to write or check: `--file <path>`, else `defaultPath` (relative to `root`). */
export function targetOf(root, defaultPath) {
  const fileArg = process.argv.indexOf("--file");
  if (fileArg === -1) return { target: join(root, defaultPath), shown: defaultPath };
  const target = process.argv[fileArg + 1];
  if (!target) {
    process.stderr.write("--file needs a path\n");
    process.exit(2);
  }
  return { target, shown: target };
}

/** `matches`, `stale`: what the file is generated from, in the two messages; `command`: what regenerates it. */
export function writeOrCheck({ target, shown }, text, { matches, stale, command }) {
  if (!process.argv.includes("--check")) {
    writeFileSync(target, text);
    process.stdout.write(`wrote ${target}\n`);
    return;
  }
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== text) {
    process.stderr.write(`${shown} is out of date with ${stale}: run \`${command}\` and commit it\n`);
    process.exit(1);
  }
  process.stdout.write(`${shown} matches ${matches}\n`);
}
