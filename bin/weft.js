#!/usr/bin/env node
// `weft --version` reads package.json and nothing else; every other command goes through dist/cli/main.js.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const { readFileSync } = await import("node:fs");
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
} else {
  await import("../dist/cli/main.js");
}
