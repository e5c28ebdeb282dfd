/**
 * Step types are plain registered objects. The built-ins (builtin.ts) register exactly as a user's plugin would
 * (registry.ts).
 */
import type { z } from "zod";
import type { ProviderRegistry } from "../agents/provider.js";
import type { Json, JsonObject } from "../core/json.js";
import type { UsageMeter } from "../engine/usage.js";
import type { ArtifactFileType } from "../store/store.js";
import type { Sandbox } from "./script/sandbox.js";

/** What a handler may ask of the engine while it runs. */
export interface StepContext {
  readonly runId: string;
  readonly stepId: string;
  readonly key: string;
  readonly iteration: number | null;
  /** 1-based. */
  readonly attempt: number;
  /** `runId:stepId:iteration`: the same for every attempt of this step run, also after a crash. */
  readonly idempotencyKey: string;
  /** The run's project directory: the default working directory of scripts and CLI agents. */
  readonly projectPath: string;
  /**
   * The environment processes the step starts begin with (before what the step names itself): a server's clean
   * allow-list, or a person's own environment under `weft run` — never weft's own variables (core/environment.ts).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Confines the processes of script steps, when the engine was given one (script/sandbox.ts). */
  readonly sandbox: Sandbox | undefined;
  /**
   * This step run's log directory (`…/logs/<key>/`). The engine creates it asynchronously, off the hot
   * path: a handler that writes files of its own there creates it first (`mkdir(logDir, { recursive: true })`).
   */
  readonly logDir: string;
  /** The `foreach` item and its index, for fanned-out step runs. */
  readonly item: Json | undefined;
  readonly index: number | undefined;
  /** Step timeout in ms, if any (the engine also aborts `signal` when it passes). */
  readonly timeoutMs: number | undefined;
  readonly providers: ProviderRegistry;
  /** Token usage and cost: report each provider call; read what the run and this step run spent, and the budget. */
  readonly usage: UsageMeter;
  /**
   * Files this step run makes (documents, images), stored as the run's artifacts, and images attached to
   * documents. Idempotent across attempts and crashes: see `StepArtifacts`.
   */
  readonly artifacts: StepArtifacts;
  /** Renders every `{{ … }}` in strings of `value`, deeply. A string that is exactly one `{{ expr }}` keeps the value's type. */
  render(value: Json): Json;
  /** Renders a template to a string (objects as JSON, null as ""). */
  renderString(template: string): string;
  /** Evaluates one expression (no braces) in the step's scope. */
  evaluate(expression: string): Json;
  /** Records what the step was given (written to `input.json`). */
  recordInput(input: Json): void;
  /** Streams a line of output: appended to `events.jsonl` and published as `workflow.step.progress`. */
  log(stream: "stdout" | "stderr" | "info", text: string): void;
  /** A one-line notice for the person running the workflow (e.g. "agent `security` has no configuration; answered by mock"). */
  notice(message: string): void;
  now(): number;
}

/** How a handler ends. Throwing a `TerminalError`/`RetryableError` (or anything) fails the attempt instead. */
export type StepOutcome =
  | { kind: "completed"; output: Json; summary?: string | undefined }
  /** Park the step (and, when nothing else runs, the run) until a person approves or rejects it. */
  | {
      kind: "approval";
      message?: string | undefined;
      timeoutMs?: number | undefined;
      onTimeout?: "approve" | "reject" | undefined;
    }
  /** Park the step until `until` (ms since epoch); it then completes with `output`. Durable across restarts. */
  | { kind: "sleep"; until: number; output?: Json | undefined };

export interface StepType<C = JsonObject> {
  readonly type: string;
  /** What editors show (`Agent`); default: the type name. */
  readonly title?: string | undefined;
  /** One sentence on what a step of this type does, for editors' palettes. */
  readonly description?: string | undefined;
  /**
   * False when the type is registered but has nothing to run, so editors leave it out of their palettes (the
   * `function` type while no function is registered). Workflows naming it still validate. Default true.
   */
  readonly offered?: boolean | undefined;
  /** Validates the step's `config` as written (before templating) when the workflow is loaded. */
  readonly configSchema: z.ZodType<C>;
  run(ctx: StepContext, config: C, signal: AbortSignal): Promise<StepOutcome>;
}

/** A user's TypeScript function, called by `type: function` steps that name it. */
export type StepFunction = (input: Json, ctx: StepContext, signal: AbortSignal) => Promise<Json> | Json;

/**
 * Erases a step type's config type so typed step types can sit in one `StepType[]`. Safe because the engine
 * always passes `run` the value `configSchema` produced.
 */
export function defineStepType<C>(stepType: StepType<C>): StepType {
  return stepType as unknown as StepType;
}

/** A file for `ctx.artifacts.create`. */
export interface NewStepArtifact {
  /** The file name people see (`hero-1.png`): display only, never a path. Its extension (else `mimeType`) gives the stored file's. */
  name: string;
  /** The bytes; a string is stored as UTF-8. At most 100 MiB. */
  data: Uint8Array | string;
  /** seed 002's file type. Default: from `mimeType`, then the name's extension (`image/*` → image, `.md` → document). */
  fileType?: ArtifactFileType | undefined;
  /** Default: from the name's extension (`application/octet-stream` when unknown). */
  mimeType?: string | undefined;
  /**
   * What identifies the artifact across the step run's attempts. Default: `name`. The n-th `create` with a
   * key in one attempt is the same artifact as the n-th `create` with that key in any other attempt, so keep
   * keys independent of anything that varies between attempts (a model's answer, the time).
   */
  key?: string | undefined;
}

/** An artifact of the run, as a step sees it. */
export interface StepArtifact {
  id: string;
  name: string;
  fileType: ArtifactFileType;
  mimeType: string;
  sizeBytes: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** The step run that made it; null for a file uploaded to the run. */
  stepKey: string | null;
  /** Where the bytes are, relative to the data dir (`runs/<run>/artifacts/<step>/<id>.<ext>`). */
  storageKey: string;
  /** The file's absolute path. */
  path: string;
  createdAt: number;
}

/** An image attached to a document (seed 000). */
export interface StepAttachment {
  documentId: string;
  imageId: string;
  /** Exactly one attachment of a document that has any is primary. */
  primary: boolean;
  /** Order of attachment, ascending. */
  position: number;
}

/**
 * The run's artifacts, for a step run. Ids are derived from the step run's idempotency key and the
 * artifact's key, so every attempt — also one after a crash — finds what an earlier attempt stored.
 */
export interface StepArtifacts {
  /**
   * Stores a file as an artifact of this step run and appends `workflow.artifact.created`. When an earlier
   * attempt stored the same artifact (same key, same occurrence) that record is returned with `created: false`
   * and nothing is written. A crash between writing the file and creating the record leaves no orphan: the
   * next attempt writes the same path again.
   */
  create(artifact: NewStepArtifact): Promise<StepArtifact & { created: boolean }>;
  /** The artifact the `occurrence`-th (0-based) `create` with `key` made in this step run, by any attempt. */
  find(key: string, occurrence?: number): Promise<StepArtifact | undefined>;
  /** An artifact of this run (any step's, or uploaded); undefined for an unknown id or another run's artifact. */
  get(id: string): Promise<StepArtifact | undefined>;
  /**
   * Attaches images of this run to a document of this run (in order; already attached ones are left as they
   * are, so a retry is a no-op) and makes `primaryId` its primary image when given. The first image attached
   * to a document without any becomes its primary. Refused, writing nothing, when an artifact is unknown or
   * of the wrong type, or the document would have more than 20 images (`WEFT_CONFLICT`).
   */
  attach(
    documentId: string,
    imageIds: readonly string[],
    opts?: { primaryId?: string | undefined },
  ): Promise<StepAttachment[]>;
  /** A document's attachments, in order. */
  attachments(documentId: string): Promise<StepAttachment[]>;
  /**
   * The name and text of a context document: a text document artifact of any run of this run's project (the
   * `weft-document` args convention). A `TerminalError` for an unknown id, another project's, an artifact that
   * is not a text document, or one over 512 KiB.
   */
  readDocument(id: string): Promise<{ id: string; name: string; text: string }>;
}
