/**
 * Every `weft` command as declared to commander — name, arguments, description, options — with the module
 * that implements it loaded only when the command runs (`weft --help` and `weft --version` import none of
 * them: no engine, store, server, zod schemas or providers). Keep this file's imports light.
 */
import type { Command } from "commander";
import { RUN_STATUSES } from "../core/model.js";
import { DEFAULT_PORT } from "../server/loopback.js";

/** A command's action as its module exports it: the command's operands, then its options, then the command. */
type Action = (...args: never[]) => void | Promise<void>;

/** An action that imports `name` from its module on the first call. */
function lazy<K extends string>(load: () => Promise<Record<K, Action>>, name: K) {
  return async (...args: unknown[]): Promise<void> => {
    const mod = await load();
    await mod[name](...(args as never[]));
  };
}

const run = () => import("./commands/run.js");
const control = () => import("./commands/control.js");
const inspect = () => import("./commands/inspect.js");
const checkpoints = () => import("./commands/checkpoints.js");
const definition = () => import("./commands/definition.js");
const serve = () => import("./commands/serve.js");
const token = () => import("./commands/token.js");
const templates = () => import("./commands/templates.js");

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** The options of every command that lets a run go on in this process (or another). */
function continuing(command: Command, noWait: string, detach: string): Command {
  return command
    .option("--no-wait", noWait)
    .option("--detach", detach)
    .option("-v, --verbose", "also print the steps' output (script stdout/stderr, agent text, notes)")
    .option("--format <format>", "table | json", "table")
    .option("--allow-changed-source", "replay a TypeScript workflow whose file changed since the run started");
}

/** Adds every command to `program`, in the order `weft --help` lists them. */
export function declareCommands(program: Command): void {
  program
    .command("run <file>")
    .description("run a workflow file (YAML or JSON) and show each step live until the run ends")
    .option("--context <json>", "the run's arguments as a JSON object")
    .option("--args <json>", "same as --context")
    .option("-a, --arg <key=value>", "one string argument (repeatable)", collect)
    .option("--triggered-by <name>", "who or what started the run (recorded)")
    .option("--priority <n>", "higher-priority runs' steps start first (default 0)")
    .option("--name <name>", "a name for this run (default: the workflow's name)")
    .option("--idempotency-key <key>", "start at most one run for this key; a repeat attaches to that run")
    .option("--detach", "start the run in a background process and return at once")
    .option("-v, --verbose", "also print the steps' output (script stdout/stderr, agent text, notes)")
    .option("--format <format>", "table | json (one JSON object per line)", "table")
    .action(lazy(run, "runCommand"));

  declareControl(program);
  declareInspect(program);
  declareCheckpoints(program);

  program
    .command("validate <files...>")
    .description("check workflow files and print every problem with its file, line and column")
    .option("--format <format>", "table | json", "table")
    .action(lazy(definition, "validateCommand"));

  program
    .command("graph <file>")
    .description("draw a workflow's steps and dependencies (text for the terminal, or Mermaid)")
    .option("--format <format>", "text | mermaid", "text")
    .action(lazy(definition, "graphCommand"));

  program
    .command("serve")
    .description("start the HTTP API on 127.0.0.1:4280 and drive runs (launched through it, or left without an owner)")
    .option("--host <host>", "address to bind; anything but loopback needs API tokens", "127.0.0.1")
    .option("--port <port>", `port to listen on (0: any free port)`, String(DEFAULT_PORT))
    .option("--api-tokens <tokens>", "comma-separated API tokens clients must send as Bearer (env WEFT_API_TOKENS)")
    .option(
      "--pass-env <names>",
      "comma-separated variables steps get besides the clean allow-list, e.g. GITHUB_TOKEN (env WEFT_PASS_ENV)",
    )
    .option("--open", "open the web UI in the browser ($BROWSER, else xdg-open / open / start) once listening")
    .action(lazy(serve, "serveCommand"));

  declareToken(program);

  program
    .command("templates")
    .description("list the built-in workflow templates (weft run <slug> launches one)")
    .option("--category <category>", "only this category (e.g. sdlc, marketing)")
    .option("--search <text>", "only templates whose name, description or tags contain it")
    .option("--format <format>", "table | json", "table")
    .action(lazy(templates, "templatesCommand"));
}

function declareControl(program: Command): void {
  program
    .command("pause <run-id>")
    .description("pause a run: no new step starts; running steps finish")
    .option("--format <format>", "table | json", "table")
    .action(lazy(control, "pauseCommand"));

  program
    .command("budget <run-id>")
    .description(
      "set a run's budget (or a step's, with --step); a run paused over its budget then resumes with `weft resume`",
    )
    .option("--tokens <n>", 'most tokens (in + out), or "none"')
    .option("--cost <usd>", 'most US dollars, or "none"')
    .option("--step <key>", "set this step run's budget instead of the run's")
    .option("--format <format>", "table | json", "table")
    .action(lazy(control, "budgetCommand"));

  program
    .command("cancel <run-id>")
    .description("cancel a run: running steps are stopped (scripts' process groups killed), the rest cancelled")
    .option("--format <format>", "table | json", "table")
    .action(lazy(control, "cancelCommand"));

  program
    .command("resume <run-id>")
    .description("resume a paused or interrupted run and stay with it until it ends")
    .option("--detach", "continue in a background process")
    .option("-v, --verbose", "also print the steps' output (script stdout/stderr, agent text, notes)")
    .option("--format <format>", "table | json", "table")
    .option("--allow-changed-source", "replay a TypeScript workflow whose file changed since the run started")
    .action(lazy(control, "resumeCommand"));

  for (const verb of ["approve", "reject"] as const) {
    continuing(
      program
        .command(`${verb} <run-id> <step>`)
        .description(`${verb} a step that waits for approval`)
        .option("--comment <text>", "a note recorded with the decision")
        .option("--by <name>", "who decided (default: $USER)"),
      "do not continue the run in this process",
      "continue the run in a background process",
    ).action(lazy(control, `${verb}Command`));
  }

  continuing(
    program
      .command("retry <run-id> <step>")
      .description("reset a failed step (and the steps it held back) and carry on with the run"),
    "do not continue the run in this process",
    "continue the run in a background process",
  ).action(lazy(control, "retryCommand"));

  continuing(
    program
      .command("rewind <run-id> <checkpoint>")
      .description("fork a new run from a checkpoint: steps completed by then are reused, the rest run again"),
    "only create the new run",
    "run it in a background process",
  ).action(lazy(control, "rewindCommand"));
}

function declareInspect(program: Command): void {
  program
    .command("list")
    .description("list runs, newest first (or, with --workflows, every workflow definition and its runs' stats)")
    .option("--status <status>", `only runs in this status (${RUN_STATUSES.join(", ")}), comma-separated`)
    .option("--limit <n>", "at most this many (default 20)")
    .option(
      "--workflows",
      "one line per workflow: templates, stored definitions, the definitions folders, with description, steps and run stats",
    )
    .option("--search <text>", "only workflows whose name or description contains it (case-insensitive)")
    .option("--format <format>", "table | json", "table")
    .action(lazy(inspect, "listCommand"));

  program
    .command("status <run-id>")
    .description("show a run and its steps")
    .option("--format <format>", "table | json", "table")
    .action(lazy(inspect, "statusCommand"));

  program
    .command("logs <run-id>")
    .description("print a run's events and step output (-f: follow until the run ends)")
    .option("--step <key>", "only this step")
    .option("-f, --follow", "keep printing until the run ends")
    .option("--format <format>", "table | json", "table")
    .action(lazy(inspect, "logsCommand"));
}

function declareCheckpoints(program: Command): void {
  const command = program
    .command("checkpoints")
    .argument("<run-id>")
    .description("list a run's checkpoints, newest first: state, steps completed and pending, size, creator")
    .option("--limit <n>", "at most this many (default 10)")
    .option("--format <format>", "table | json", "table")
    .action(lazy(checkpoints, "checkpointsCommand"));

  command
    .command("prune <run-id>")
    .description(
      "remove a run's checkpoints but the newest N (the latest and those a rewound run was forked from are kept)",
    )
    .option("--keep <n>", "how many of the newest to keep (required, ≥ 1)")
    .option("--dry-run", "say what would be removed; remove nothing")
    .option("--format <format>", "table | json", "table")
    .action(lazy(checkpoints, "pruneCommand"));
}

function declareToken(program: Command): void {
  const command = program.command("token").description("API tokens for `weft serve`: create, list, revoke");

  command
    .command("create")
    .description("create an API token (printed once) with a role per project: read, operate or admin")
    .requiredOption("--name <name>", "what the token is for (shown in `weft token list`)")
    .option(
      "--project <project:role>",
      "a project and the role in it, e.g. web:operate; repeat for several; *:read for every project",
      (value: string, prev: string[]) => [...prev, value],
      [] as string[],
    )
    .option(
      "--scripts",
      "also the scripts permission in these projects: send workflows with script steps (this permission can run code as the server's user)",
    )
    .option("--format <format>", "table | json", "table")
    .action(lazy(token, "createTokenCommand"));

  command
    .command("list")
    .description("list API tokens (never their secrets)")
    .option("--format <format>", "table | json", "table")
    .action(lazy(token, "listTokensCommand"));

  command
    .command("revoke <id>")
    .description("revoke an API token: requests carrying it are refused from now on")
    .action(lazy(token, "revokeTokenCommand"));
}
