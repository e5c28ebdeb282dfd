/**
 * Text of `weft.config.yaml` → `AgentsConfig`, with every problem reported at once as `Issue`s that name the
 * file, line and column and say what to write instead. Uses the workflow parser's YAML reading (positions,
 * duplicate keys, alias bombs) and its issue helpers. Never throws for bad input.
 */
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import type { Issue } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import { describe, didYouMean, Issues } from "../../definition/issues.js";
import { parseSource } from "../../definition/parse.js";
import type { Path } from "../../definition/positions.js";
import { checkConfig } from "./checks.js";
import {
  type AgentSettings,
  type AgentsConfig,
  agentSchema,
  BUILTIN_PROVIDERS,
  type ConfigFile,
  configFileSchema,
  FIELDS,
  mockSchema,
  type ProviderSettings,
  priceSchema,
  providerSchema,
  rateLimitSchema,
} from "./schema.js";

export interface ParseAgentsConfigOptions {
  /** The file's path: named in issues; relative paths in the config resolve against its folder. */
  file: string;
  /** The providers agents may name. Default: the built-in ones. */
  providerNames?: readonly string[] | undefined;
}

export interface ParseAgentsConfigResult {
  /** Undefined when there are errors. */
  config: AgentsConfig | undefined;
  /** Errors and warnings, in file order. */
  issues: Issue[];
}

export function parseAgentsConfig(text: string, opts: ParseAgentsConfigOptions): ParseAgentsConfigResult {
  const { file } = opts;
  const parsed = parseSource(text, file, file.endsWith(".json") ? "json" : "yaml");
  if (parsed.value === undefined) {
    const issues = parsed.issues.map(forConfig);
    if (issues.length === 1 && issues[0]?.message === EMPTY) return { config: { file }, issues: [] };
    return { config: undefined, issues };
  }
  const raw = parsed.value as Record<string, unknown>;
  const iss = new Issues(parsed.map);
  for (const issue of parsed.issues) iss.add(forConfig(issue));
  const known = [...new Set(opts.providerNames ?? BUILTIN_PROVIDERS)].sort();
  const result = configFileSchema.safeParse(raw);
  if (!result.success) for (const issue of result.error.issues) reportZodIssue(issue, raw, iss);
  const refs = checkConfig(raw, known, iss);
  const issues = [...iss.list].sort(
    (a, b) => a.location.line - b.location.line || a.location.column - b.location.column,
  );
  if (!result.success || iss.hasErrors) return { config: undefined, issues };
  return { config: build(result.data, refs, file), issues };
}

const EMPTY = "the file is empty";

/** The shared YAML reader speaks of workflows; say "config" instead. */
function forConfig(issue: Issue): Issue {
  if (issue.message.startsWith("the top level of a workflow")) {
    return {
      ...issue,
      message: "the top level of the agents config must be a mapping (`agents: …`, `rateLimits: …`)",
      hint: "write the config as key: value pairs at the top level; see docs/agents.md",
    };
  }
  if (issue.message.includes("a workflow file holds exactly one")) {
    return { ...issue, message: issue.message.replace("a workflow file", "a config file") };
  }
  if (issue.message === EMPTY) return { ...issue, hint: "write `agents:` and the agents under it" };
  return issue;
}

const SECTION_SCHEMAS: Record<string, { shape: object }> = {
  agents: agentSchema,
  providers: providerSchema,
  prices: priceSchema,
  rateLimits: rateLimitSchema,
};

function keysAt(path: Path): { known: string[]; where: string } {
  const [section, name] = path;
  if (path.length === 0) return { known: Object.keys(configFileSchema.shape), where: "the agents config" };
  if (section === "mock") return { known: Object.keys(mockSchema.shape), where: "`mock`" };
  const schema = SECTION_SCHEMAS[String(section)];
  const where =
    section === "agents"
      ? `agent \`${String(name)}\``
      : section === "providers"
        ? `the settings of provider \`${String(name)}\``
        : section === "prices"
          ? `the price of \`${String(name)}\``
          : `the rate limit \`${String(name)}\``;
  return { known: schema ? Object.keys(schema.shape) : [], where };
}

function valueAt(raw: unknown, path: Path): unknown {
  let node = raw;
  for (const part of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

/** What an entry of a section (`agents.security`, `prices.my-model`) must be. */
const ENTRY_WHAT: Record<string, (name: string) => string> = {
  agents: (n) => `agent \`${n}\` must be a mapping of its settings (\`provider\`, \`model\`, …)`,
  providers: (n) => `the settings of provider \`${n}\` must be a mapping (\`baseUrl\`, \`apiKey\`, \`options\`)`,
  prices: (n) => `the price of \`${n}\` must be a mapping \`{ input, output }\``,
  rateLimits: (n) => `the rate limit \`${n}\` must be a mapping (\`requestsPerMinute\`, \`tokensPerMinute\`)`,
};

function reportZodIssue(issue: z.core.$ZodIssue, raw: unknown, iss: Issues): void {
  const path: Path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") {
    const { known, where } = keysAt(path);
    for (const key of issue.keys) {
      const hint = didYouMean(key, known) ?? `known keys: ${known.join(", ")}`;
      iss.error("WEFT_SCHEMA", [...path, key], `unknown key \`${key}\` in ${where}`, hint, "key");
    }
    return;
  }
  const value = valueAt(raw, path);
  const got = value === undefined ? "" : `, got ${describe(value)}`;
  const [section, name] = path;
  if (path.length === 2 && typeof section === "string" && ENTRY_WHAT[section]) {
    const what = (ENTRY_WHAT[section] as (n: string) => string)(String(name));
    iss.error("WEFT_SCHEMA", path, `${what}${got}`, FIELDS[section]?.hint);
    return;
  }
  const last = path[path.length - 1];
  const fieldName = typeof last === "number" ? path[path.length - 2] : last;
  const field = typeof fieldName === "string" ? FIELDS[fieldName] : undefined;
  if (value === undefined && issue.code === "invalid_type") {
    const owner = path.slice(0, -1);
    iss.error(
      "WEFT_SCHEMA",
      owner,
      `${keysAt(owner).where} has no \`${String(last)}\``,
      field ? `add \`${String(last)}\` (${field.what}): ${field.hint}` : undefined,
      "key",
    );
    return;
  }
  const subject =
    typeof last === "number" ? `item ${last + 1} of \`${String(fieldName)}\`` : `\`${String(last ?? "(root)")}\``;
  const what = typeof last === "number" ? (fieldName === "fallback" ? "a model id" : "a string") : field?.what;
  const suggestion =
    issue.code === "invalid_value" && typeof value === "string"
      ? didYouMean(
          value,
          issue.values.map((v) => String(v)),
        )
      : undefined;
  iss.error(
    "WEFT_SCHEMA",
    path,
    what ? `${subject} must be ${what}${got}` : `${subject}: ${issue.message}`,
    suggestion ?? field?.hint,
  );
}

function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

function build(data: ConfigFile, refs: ReturnType<typeof checkConfig>, file: string): AgentsConfig {
  const dir = dirname(resolve(file));
  const agents: Record<string, AgentSettings> = {};
  for (const [name, a] of Object.entries(data.agents ?? {})) {
    agents[name] = defined({
      name,
      provider: a.provider,
      model: a.model,
      system: a.system,
      temperature: a.temperature,
      maxTokens: a.maxTokens,
      baseUrl: a.baseUrl,
      fallback: a.fallback,
      permission: a.permission,
      apiKey: refs.agents[name],
      options: a.options as JsonObject | undefined,
    });
  }
  const providers: Record<string, ProviderSettings> = {};
  for (const [name, p] of Object.entries(data.providers ?? {})) {
    providers[name] = defined({
      baseUrl: p.baseUrl,
      apiKey: refs.providers[name],
      options: p.options as JsonObject | undefined,
    });
  }
  const mock = data.mock ?? {};
  return defined({
    file,
    agents,
    providers,
    secrets: data.secrets === undefined ? undefined : resolve(dir, data.secrets),
    prices: data.prices ?? {},
    rateLimits: data.rateLimits ?? {},
    mock: defined({
      fixtures: mock.fixtures === undefined ? undefined : resolve(dir, mock.fixtures),
      seed: mock.seed === undefined ? undefined : String(mock.seed),
      latencyMs: mock.latencyMs,
    }),
  });
}
