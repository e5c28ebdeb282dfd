/**
 * The checks of the agents config that zod cannot say well: key references (never quoted back: a mistyped
 * reference may hold a real key), provider names with a did-you-mean, rate-limit keys. They run on the raw
 * document, whatever zod thought of it, so every problem is reported in one go.
 */
import { isJsonObject, type Json } from "../../core/json.js";
import { didYouMean, type Issues } from "../../definition/issues.js";
import type { Path } from "../../definition/positions.js";
import { KEYLESS_PROVIDERS, type KeyRef } from "./schema.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CLI_PROVIDERS = ["claude", "codex", "gemini-cli"];

const mapping = (value: unknown): Record<string, unknown> | undefined =>
  isJsonObject(value as Json) ? (value as Record<string, unknown>) : undefined;

/** The type of a value, never the value: what an apiKey holds must not end up in a terminal or a log. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  return typeof value === "number" ? "a number" : "a boolean";
}

const REF_HINT =
  "put the key in an environment variable and write `apiKey: { env: NAME }`, or in the secrets file and write " +
  "`apiKey: { secret: NAME }`";

/** Reads `apiKey: { env: NAME } | { secret: NAME }`; reports anything else without quoting it. */
export function readKeyRef(value: unknown, path: Path, iss: Issues): KeyRef | undefined {
  if (typeof value === "string") {
    iss.error(
      "WEFT_SCHEMA",
      path,
      "`apiKey` holds a literal value: weft never reads API keys from its config file (it would end up in version control and in logs)",
      REF_HINT,
    );
    return undefined;
  }
  const ref = mapping(value);
  if (!ref) {
    iss.error(
      "WEFT_SCHEMA",
      path,
      `\`apiKey\` must be \`{ env: NAME }\` or \`{ secret: NAME }\`, got ${kindOf(value)}`,
      REF_HINT,
    );
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(ref)) {
    if (key === "env" || key === "secret") continue;
    ok = false;
    iss.error(
      "WEFT_SCHEMA",
      [...path, key],
      `unknown key \`${key}\` in \`apiKey\``,
      didYouMean(key, ["env", "secret"]) ?? "write `{ env: NAME }` or `{ secret: NAME }`",
      "key",
    );
  }
  const present = (["env", "secret"] as const).filter((k) => Object.hasOwn(ref, k));
  if (present.length !== 1) {
    iss.error(
      "WEFT_SCHEMA",
      path,
      present.length === 0
        ? "`apiKey` names no source: give `env` or `secret`"
        : "`apiKey` gives both `env` and `secret`: give one",
      REF_HINT,
    );
    return undefined;
  }
  const kind = present[0] as "env" | "secret";
  const name = ref[kind];
  if (typeof name !== "string" || !ENV_NAME.test(name)) {
    const looksLikeKey = typeof name === "string" && (name.length >= 24 || /[-.]/.test(name));
    iss.error(
      "WEFT_SCHEMA",
      [...path, kind],
      `\`apiKey.${kind}\` must be a name (letters, digits and _, not starting with a digit), got ${kindOf(name)}` +
        (looksLikeKey ? " that looks like a key itself" : ""),
      kind === "env"
        ? "write the name of the environment variable that holds the key, e.g. `{ env: ANTHROPIC_API_KEY }`"
        : "write the NAME of a `NAME=value` line of the secrets file",
    );
    return undefined;
  }
  return ok ? (kind === "env" ? { env: name } : { secret: name }) : undefined;
}

/** Reports `name` unless it is a known provider; `part`: whether the name is written as a key or a value. */
function checkProviderName(
  name: string,
  at: { path: Path; part: "key" | "value" },
  known: readonly string[],
  iss: Issues,
  what: string,
): void {
  if (known.includes(name)) return;
  iss.error(
    "WEFT_SCHEMA",
    at.path,
    `${what} \`${name}\`, which is not an available provider`,
    didYouMean(name, known) ?? `available providers: ${known.join(", ")}`,
    at.part,
  );
}

export interface CheckedRefs {
  agents: Record<string, KeyRef>;
  providers: Record<string, KeyRef>;
}

/** Checks what zod does not; returns the key references that are valid. */
export function checkConfig(raw: Record<string, unknown>, known: readonly string[], iss: Issues): CheckedRefs {
  const refs: CheckedRefs = { agents: {}, providers: {} };
  const hasSecrets = typeof raw.secrets === "string" && raw.secrets !== "";
  const readRef = (value: unknown, path: Path): KeyRef | undefined => {
    const ref = readKeyRef(value, path, iss);
    if (ref && "secret" in ref && !hasSecrets) {
      iss.error(
        "WEFT_SCHEMA",
        path,
        `\`apiKey\` refers to the secret \`${ref.secret}\`, but the config names no secrets file`,
        "add `secrets: ./secrets.env` (a file of NAME=value lines, kept out of version control)",
      );
      return undefined;
    }
    return ref;
  };

  for (const [name, value] of Object.entries(mapping(raw.agents) ?? {})) {
    const agent = mapping(value);
    if (!agent) continue;
    const path = ["agents", name];
    const provider = typeof agent.provider === "string" && agent.provider !== "" ? agent.provider : undefined;
    if (provider !== undefined) {
      checkProviderName(
        provider,
        { path: [...path, "provider"], part: "value" },
        known,
        iss,
        `agent \`${name}\` uses the provider`,
      );
    }
    if (Object.hasOwn(agent, "apiKey")) {
      const ref = readRef(agent.apiKey, [...path, "apiKey"]);
      if (ref) refs.agents[name] = ref;
      if (ref && provider !== undefined && KEYLESS_PROVIDERS.includes(provider)) {
        iss.warn(
          "WEFT_SCHEMA",
          [...path, "apiKey"],
          `\`apiKey\` is ignored: \`${provider}\` agents take no API key (CLI agents use their own login)`,
          "remove `apiKey`",
        );
      }
    }
    if (Object.hasOwn(agent, "permission") && provider !== undefined && !CLI_PROVIDERS.includes(provider)) {
      if (known.includes(provider) && ["anthropic", "openai", "gemini", "mock"].includes(provider)) {
        iss.warn(
          "WEFT_SCHEMA",
          [...path, "permission"],
          `\`permission\` applies to CLI agents (${CLI_PROVIDERS.join(", ")}); \`${provider}\` ignores it`,
          "remove `permission`, or use a CLI agent",
        );
      }
    }
  }

  for (const [name, value] of Object.entries(mapping(raw.providers) ?? {})) {
    checkProviderName(name, { path: ["providers", name], part: "key" }, known, iss, "`providers` configures");
    const settings = mapping(value);
    if (settings && Object.hasOwn(settings, "apiKey")) {
      const ref = readRef(settings.apiKey, ["providers", name, "apiKey"]);
      if (ref) refs.providers[name] = ref;
    }
  }

  for (const [key, value] of Object.entries(mapping(raw.rateLimits) ?? {})) {
    const path = ["rateLimits", key];
    const slash = key.indexOf("/");
    const provider = slash < 0 ? key : key.slice(0, slash);
    if (slash >= 0 && key.slice(slash + 1).trim() === "") {
      iss.error(
        "WEFT_SCHEMA",
        path,
        `the rate-limit key \`${key}\` names no model`,
        `write \`${provider}\` for the whole provider, or \`${provider}/<model>\``,
        "key",
      );
    }
    checkProviderName(provider, { path, part: "key" }, known, iss, `the rate limit \`${key}\` is for the provider`);
    const limit = mapping(value);
    if (limit && !Object.hasOwn(limit, "requestsPerMinute") && !Object.hasOwn(limit, "tokensPerMinute")) {
      iss.error(
        "WEFT_SCHEMA",
        path,
        `the rate limit \`${key}\` sets no limit`,
        "write `requestsPerMinute` and/or `tokensPerMinute`",
      );
    }
  }
  return refs;
}
