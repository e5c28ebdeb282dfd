import type { EventRecord } from "../core/events.js";
/**
 * What buildApp takes (ServerDeps), what every route plugin receives (`app.register(plugin, { prefix: "/api",
 * ctx })`), and the envelope. Kept apart from app.ts so that plugins import it without an import cycle.
 */
import type { DefinitionStatus } from "../core/lifecycle.js";
import type { Workflow } from "../core/model.js";
import type { StepTypeSchemas } from "../definition/index.js";
import type { TsWorkflowDefinition } from "../definition/typescript/define.js";
import type { Engine } from "../engine/engine.js";
import type { Store } from "../store/store.js";
import type { Background } from "./background.js";
import type { DefinitionFiles } from "./definition-files.js";
import type { RevocationWatch } from "./revocation.js";

/** The dependencies of buildApp (`weft serve` builds them from its flags; tests from a temp data dir). */
export interface ServerDeps {
  engine: Engine;
  store: Store;
  dataDir: string;
  /** Origins allowed to open WebSocket connections (besides same-origin and no Origin header). */
  allowedOrigins?: string[];
  /** Max request body for JSON routes, bytes. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Log requests (pino, as Fastify does): true to stdout, or to the stream given. URLs are logged with
   * `?access_token=` redacted; headers (a token's `Authorization`, `Sec-WebSocket-Protocol`) are not logged.
   */
  logger?: boolean | { stream: { write(line: string): void } };
  /**
   * Drives runs in the background (launch, resume, approve, retry, rewind). Default: one created here,
   * stopped when the app closes; `weft serve` passes its own, whose sweep also takes over orphaned runs.
   */
  background?: Background;
  /**
   * Admin tokens for every project (`WEFT_API_TOKENS`). Project-scoped tokens live in the store
   * (`weft token create`). Once any token exists, every request must carry one (access.ts).
   */
  apiTokens?: readonly string[];
  /** Refuse requests without a token even when no token exists (a server bound beyond loopback). */
  requireToken?: boolean;
  /** Step types inline workflows are validated against. Default: the built-ins. */
  stepTypes?: StepTypeSchemas;
  /** Resolves `workflow_definition_id` of a launch. Default: the store's definitions (YAML/JSON ones). */
  resolveDefinition?: DefinitionResolver;
  /**
   * The project's definitions folder (`.agent/workflows/definitions/`), kept in the store by `weft serve`: its
   * definitions show their file and problems, are read-only, and are refused at launch while their file has errors.
   */
  definitionFiles?: DefinitionFiles;
  /** Check every response against its documented schema (a mismatch is a 500). Tests turn it on. */
  validateResponses?: boolean;
  /**
   * The built web UI to serve (a folder with index.html; ui.ts). Default: this package's `dist/web`, when it
   * was built; null serves no UI.
   */
  webRoot?: string | null;
}

export interface RouteContext {
  engine: Engine;
  store: Store;
  /** The data directory: `weft.db` and the run folders (`runs/<id>/logs/<key>/…`). */
  dataDir: string;
  /** Drives runs in this process without making the request wait. */
  background: Background;
  /** Step types inline workflows are validated against. */
  stepTypes: StepTypeSchemas;
  /** `workflow_definition_id` of a launch → its workflow and project; undefined for an unknown id. */
  resolveDefinition: DefinitionResolver;
  /** Pushes events that routes wrote through the store (comments, artifacts) to live clients at once. */
  feed?: { publish(event: EventRecord): void } | undefined;
  /** Ends a stream (a followed log) when the token that opened it is revoked. */
  revocations?: RevocationWatch | undefined;
  /** The definitions folder `weft serve` keeps listed, if any. */
  definitionFiles?: DefinitionFiles | undefined;
}

/**
 * A stored definition as a launch needs it; `system` ones (built-in templates) may be launched in any project.
 * `status`: its lifecycle status (src/core/lifecycle.ts); absent: `active`.
 */
export type DefinitionResolver = (id: string) => Promise<
  | {
      workflow: Workflow;
      code?: TsWorkflowDefinition | undefined;
      projectId: string;
      system: boolean;
      status?: DefinitionStatus | undefined;
    }
  | undefined
>;

export interface RoutePluginOptions {
  ctx: RouteContext;
}

/** The project of runs and definitions that name none. */
export const DEFAULT_PROJECT = "default";

/** The `{ "data": … }` envelope of every successful response (seed 002). */
export function data<T>(value: T): { data: T } {
  return { data: value };
}
