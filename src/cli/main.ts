#!/usr/bin/env node
/**
 * The `weft` command. commands.ts declares every command; each one's module under commands/ loads only when it runs.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { formatIssue, ValidationError, WeftError } from "../core/errors.js";
import { declareCommands } from "./commands.js";
import { EXIT } from "./exit.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

export function buildProgram(): Command {
  const program = new Command("weft")
    .description("durable workflows for AI-agent pipelines")
    .version(pkg.version)
    .option("--data-dir <dir>", "where weft keeps its database and run folders (env WEFT_DATA_DIR; default ~/.weft)")
    .option("--durability <mode>", "full (fsync every commit, default) | normal (env WEFT_DURABILITY)")
    .option("--mock-fixtures <file>", "a fixture file scripting the mock provider's answers (env WEFT_MOCK_FIXTURES)")
    .option("--config <file>", "the agents config (env WEFT_CONFIG; default ./weft.config.yaml when there is one)")
    .option("--sandbox <mode>", "none (default) | bwrap: run script steps in a bubblewrap sandbox (env WEFT_SANDBOX)")
    .showHelpAfterError("(run `weft --help` for usage)")
    // Before the commands are added, so that each inherits it: a usage error in any command exits 2, not 1.
    .exitOverride();
  declareCommands(program);
  return program;
}

function exitCodeOf(err: WeftError): number {
  if (err.code === "WEFT_NOT_FOUND") return EXIT.notFound;
  if (err.code === "WEFT_CONFLICT" || err.code === "WEFT_IDEMPOTENCY_MISMATCH") return EXIT.conflict;
  return EXIT.usage;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    if (err instanceof ValidationError) {
      for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
      process.stderr.write(`✗ ${err.issues.length} problem${err.issues.length === 1 ? "" : "s"}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    if (err instanceof WeftError) {
      process.stderr.write(`weft: ${err.message}\n`);
      process.exitCode = exitCodeOf(err);
      return;
    }
    process.stderr.write(
      `weft: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  }
}

// `weft list | head -1`: a reader that closes the pipe early ends the command quietly, not with an EPIPE trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit();
    throw err;
  });
}

await main(process.argv);
