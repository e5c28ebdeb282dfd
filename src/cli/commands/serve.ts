import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { checkPassedNames } from "../../core/environment.js";
import { WeftError } from "../../core/errors.js";
import { DEFAULT_PROJECT } from "../../server/context.js";
import { createDefinitionFiles } from "../../server/definition-files.js";
import { checkApiTokens, checkBind, serve } from "../../server/serve.js";
import { openEngine, stepTypeSchemas } from "../context.js";
import { EXIT } from "../exit.js";
import { browserUrl, openBrowser } from "../open-browser.js";
import { stdoutOut } from "../output.js";
import type { GlobalOptions } from "../store.js";
import { dataDirOf, openStore } from "../store.js";
import { ensureTemplates } from "./templates.js";

interface ServeCommandOptions extends GlobalOptions {
  host: string;
  port: string;
  apiTokens?: string;
  passEnv?: string;
  open?: boolean;
}

function portOf(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new WeftError("WEFT_ARGS", `--port must be 0..65535, not "${text}"`);
  return n;
}

function tokensOf(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** `weft serve`. */
export async function serveCommand(_o: unknown, cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<ServeCommandOptions>();
  const out = stdoutOut();
  const port = portOf(o.port);
  const apiTokens = tokensOf(o.apiTokens ?? process.env.WEFT_API_TOKENS);
  checkApiTokens(apiTokens);
  // Steps launched through the API get a clean environment: the allow-list and these names only.
  const pass = tokensOf(o.passEnv ?? process.env.WEFT_PASS_ENV);
  checkPassedNames(pass, "--pass-env");
  // Refused before anything listens or runs — and before a data directory is created: with no database
  // yet there are no stored tokens.
  if (!existsSync(join(dataDirOf(o), "weft.db"))) await checkBind(o.host, apiTokens, undefined);
  const store = openStore(o, "quick");
  try {
    await checkBind(o.host, apiTokens, store);
  } catch (err) {
    await store.close();
    throw err;
  }
  // The built-in templates, installed (or updated) in the store before the API serves them.
  await ensureTemplates(store);
  // Seed 002's definitions folder of the project (the working directory): listed from the start, then watched.
  const definitionFiles = createDefinitionFiles({
    store,
    projectDir: resolve("."),
    projectId: DEFAULT_PROJECT,
    stepTypes: stepTypeSchemas(),
    log: (line) => out.err(`weft serve: ${line}`),
  });
  try {
    await definitionFiles.sync();
  } catch (err) {
    await store.close();
    throw err;
  }
  let engine: ReturnType<typeof openEngine>;
  try {
    engine = openEngine(o, store, { mode: "server", pass });
  } catch (err) {
    await store.close();
    throw err;
  }
  let server: Awaited<ReturnType<typeof serve>>;
  try {
    server = await serve({ engine, store, dataDir: dataDirOf(o), host: o.host, port, apiTokens, definitionFiles });
  } catch (err) {
    await engine.close();
    await store.close();
    throw err;
  }
  // The first words stay `weft serve: listening on <url>`: scripts and tests wait for that line.
  const what = server.webRoot ? "web UI and API" : "API only (no web UI built: run `npm run build`)";
  out.line(`weft serve: listening on ${server.url} — ${what}`);
  out.err(`data directory: ${dataDirOf(o)}${apiTokens.length ? "; API tokens required" : ""} — Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      // A second signal while shutting down quits at once.
      process.once("SIGINT", () => process.exit(EXIT.interrupted));
      process.once("SIGTERM", () => process.exit(EXIT.interrupted));
      out.err("shutting down: finishing requests, stopping runs (they resume on the next start)");
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (o.open) openBrowser(browserUrl(server.url), { hint: (line) => out.err(line) });
  });
  await server.close();
  await store.close();
  process.exitCode = EXIT.ok;
}
