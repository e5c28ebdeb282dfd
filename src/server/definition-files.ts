/**
 * The project's definitions folder (seed 002's `.agent/workflows/definitions/`), kept listed as workflow
 * definitions while `weft serve` runs.
 *
 * Data path: a pass lists the folder (definition/folder.ts) and stats each workflow file; only a file whose size,
 * mtime or inode changed is read again (an editor that saves by rename-replace changes the inode). A file that
 * validates — YAML/JSON parsed, TypeScript bundled and checked as `weft run` does — is stored as a definition of
 * the folder's project with a stable id, `weft-file-<hash of the folder>-<file name>`: created, updated in place
 * (its version bumps; runs already launched keep their own snapshot) and deleted when the file goes (its runs keep
 * theirs; their `definitionId` becomes null). A file with errors keeps its last good definition, marked with the
 * file's issues — listed, and refused at launch (422 with the issues) — and a file that never loaded is reported
 * by `files()` (`GET /api/workflow-definitions/files`) and on stderr. A file whose workflow takes a name another
 * definition of the project has is an error of that file (the first one keeps the name).
 *
 * Passes are started by fs.watch on the folder (debounced) and by a poll that also catches what fs.watch misses
 * (the folder created after the start, a watch that ended); they never overlap, and a pass asked for during one
 * runs after it. These definitions are read-only through the API (the file is the truth): PUT and DELETE answer
 * 409, clone makes an API copy.
 */
import { createHash } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import { formatIssue, type Issue, WeftError } from "../core/errors.js";
import type { Workflow } from "../core/model.js";
import {
  type DefinitionFileResult,
  definitionFileNames,
  PROJECT_DEFINITIONS,
  readDefinitionFile,
} from "../definition/folder.js";
import { workflowHash } from "../definition/index.js";
import type { StepTypeSchemas } from "../definition/step-config.js";
import type { DefinitionRecord, Store } from "../store/store.js";

const ID_PREFIX = "weft-file-";

/** The id of the definition `name` in `folder` defines (stable across restarts; distinct per folder). */
export function fileDefinitionId(folder: string, name: string): string {
  return `${ID_PREFIX}${createHash("sha256").update(folder).digest("hex").slice(0, 8)}-${name}`;
}

/** Whether a stored definition is one a definitions folder defines (read-only through the API). */
export const isFileDefinition = (id: string): boolean => id.startsWith(ID_PREFIX);

/** One workflow file of the folder, as the last pass read it. */
export interface DefinitionFileState {
  /** The file name (`implement-feature.ts`). */
  name: string;
  /** Its absolute path. */
  file: string;
  /** Its path relative to the project's folder (`.agent/workflows/definitions/implement-feature.ts`). */
  path: string;
  /** The definition it defines (its last good version, when it has errors now); null when it never loaded. */
  definitionId: string | null;
  /** Its current problems (errors first, then warnings); empty when it loads cleanly. */
  issues: Issue[];
}

export interface DefinitionFilesOptions {
  store: Store;
  /** The project's folder, absolute: the definitions are those of its `.agent/workflows/definitions/`. */
  projectDir: string;
  /** The project its definitions belong to. */
  projectId: string;
  stepTypes: StepTypeSchemas;
  /** The bundle cache of TypeScript files. Default: loadTypeScriptWorkflow's. */
  cacheDir?: string | undefined;
  /** How often the folder is looked at besides fs.watch, ms. Default 1000. */
  pollMs?: number | undefined;
  /** Lines for the operator (a file loaded, changed, removed, its problems). Default: none. */
  log?: ((line: string) => void) | undefined;
}

export interface DefinitionFiles {
  readonly folder: string;
  readonly projectId: string;
  /** One pass now (after the running one, if any). Rejects only on a store failure. */
  sync(): Promise<void>;
  /** Watches the folder and polls it until `stop()`. */
  start(): void;
  stop(): Promise<void>;
  /** Every workflow file of the folder as the last pass saw it, by name. */
  files(): DefinitionFileState[];
  /** The file a definition comes from, when it is one of this folder's. */
  fileOf(definitionId: string): DefinitionFileState | undefined;
}

interface Known extends DefinitionFileState {
  /** size:mtime:inode when it was read. */
  signature: string;
  /** A valid workflow whose name another definition holds: stored by a later pass once the name is free. */
  waiting?: Extract<DefinitionFileResult, { ok: true }> | undefined;
}

const DEBOUNCE_MS = 100;

/** An issue located in the project's files, with the path relative to the project (as the operator sees it). */
const relativeTo =
  (projectDir: string) =>
  (i: Issue): Issue =>
    isAbsolute(i.location.file)
      ? { ...i, location: { ...i.location, file: relative(projectDir, i.location.file) } }
      : i;

const stateOf = ({ name, file, path, definitionId, issues }: Known): DefinitionFileState => ({
  name,
  file,
  path,
  definitionId,
  issues,
});

export function createDefinitionFiles(opts: DefinitionFilesOptions): DefinitionFiles {
  const { store, projectId } = opts;
  const folder = join(opts.projectDir, ...PROJECT_DEFINITIONS);
  const log = opts.log ?? (() => {});
  const known = new Map<string, Known>();
  let firstPass = true;
  let tail: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let stopped = false;

  const report = (name: string, before: Known | undefined, now: Known) => {
    const errors = now.issues.filter((i) => i.severity === "error");
    const was = before?.issues
      .filter((i) => i.severity === "error")
      .map(formatIssue)
      .join("\n");
    if (errors.length) {
      if (was !== errors.map(formatIssue).join("\n")) for (const i of errors) log(formatIssue(i));
    } else {
      log(`definitions: ${name} ${before ? "reloaded" : "loaded"} (${now.definitionId})`);
    }
  };

  /** The name a workflow takes is another definition's: an error of this file, at the name if it can be found. */
  const nameTaken = (file: string, text: string, workflow: Workflow, other: DefinitionRecord): Issue => {
    const at = text.indexOf(workflow.name);
    const before = at < 0 ? "" : text.slice(0, at);
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return {
      code: "WEFT_CONFLICT",
      severity: "error",
      message: `project ${projectId} already has a workflow definition named "${workflow.name}" (${other.id}${isFileDefinition(other.id) ? ", from another file of this folder" : ""})`,
      hint: "give this workflow another `name`",
      location: { file, line: at < 0 ? 1 : line, column: at < 0 ? 1 : column },
    };
  };

  /** Stores what a file that validates defines; returns its issues (warnings, or the name conflict). */
  const store1 = async (
    id: string,
    file: string,
    r: Extract<DefinitionFileResult, { ok: true }>,
    existing: DefinitionRecord | undefined,
  ): Promise<Issue[]> => {
    const other = await store.definitions.getByName(projectId, r.workflow.name);
    if (other && other.id !== id) return [nameTaken(file, r.text, r.workflow, other)];
    const fields = {
      name: r.workflow.name,
      description: r.workflow.description ?? null,
      category: r.workflow.category ?? null,
      tags: r.workflow.tags,
      format: r.format,
      source: r.text,
      workflow: r.workflow,
      workflowHash: workflowHash(r.workflow),
    };
    if (!existing) {
      await store.definitions.create({ ...fields, id, projectId, system: false, now: Date.now() });
    } else if (existing.source !== r.text || existing.workflowHash !== fields.workflowHash) {
      await store.definitions.update(id, { ...fields, now: Date.now() }, existing.version);
    }
    return r.warnings;
  };

  const syncFile = async (name: string): Promise<void> => {
    const file = join(folder, name);
    const path = relative(opts.projectDir, file);
    let signature: string;
    try {
      const info = await stat(file);
      signature = `${info.size}:${info.mtimeMs}:${info.ino}`;
    } catch {
      return; // gone since the listing: the next pass removes it
    }
    const before = known.get(name);
    if (before?.signature === signature && !before.waiting) return;
    const id = fileDefinitionId(folder, name);
    const existing = await store.definitions.get(id);
    // Stored by an earlier server with this very text: nothing to parse (a TypeScript file would be bundled).
    if (!before && existing && (await readFile(file, "utf8").catch(() => undefined)) === existing.source) {
      known.set(name, { name, file, path, signature, definitionId: id, issues: [] });
      return;
    }
    // Unchanged but waiting for its name: only the store is asked again.
    const r =
      before?.signature === signature && before.waiting
        ? before.waiting
        : await readDefinitionFile(file, { stepTypes: opts.stepTypes, cacheDir: opts.cacheDir });
    const issues = (r.ok ? await store1(id, file, r, existing) : r.issues).map(relativeTo(opts.projectDir));
    const loaded = r.ok && !issues.some((i) => i.severity === "error");
    const waiting = r.ok && !loaded ? r : undefined;
    const now: Known = { name, file, path, signature, definitionId: loaded || existing ? id : null, issues, waiting };
    known.set(name, now);
    if (before?.waiting && waiting) return; // still waiting: said already
    report(name, before, now);
  };

  const remove = async (id: string, name: string) => {
    try {
      await store.definitions.delete(id);
      log(`definitions: ${name} removed (${id}); its runs keep their own copy`);
    } catch (err) {
      if (!(err instanceof WeftError && err.code === "WEFT_NOT_FOUND")) throw err;
    }
  };

  const pass = async (): Promise<void> => {
    const names = await definitionFileNames(folder);
    const present = new Set(names);
    for (const name of names) await syncFile(name);
    for (const [name, k] of known) {
      if (present.has(name)) continue;
      known.delete(name);
      if (k.definitionId) await remove(k.definitionId, name);
    }
    if (firstPass) {
      // Files removed while no server watched: their definitions go too.
      firstPass = false;
      const ids = new Set(names.map((n) => fileDefinitionId(folder, n)));
      const prefix = fileDefinitionId(folder, "");
      for (const d of await store.definitions.list({ projectId, limit: 100_000 })) {
        if (d.id.startsWith(prefix) && !ids.has(d.id)) await remove(d.id, d.id.slice(prefix.length));
      }
    }
  };

  const sync = (): Promise<void> => {
    if (queued) return queued;
    const next = tail.then(() => {
      queued = undefined;
      return pass();
    });
    queued = next;
    tail = next.catch(() => {});
    return next;
  };

  const background = () => {
    if (stopped) return;
    sync().catch((err: unknown) => log(`definitions: could not read ${folder}: ${(err as Error).message}`));
  };

  const watchFolder = () => {
    if (watcher || stopped) return;
    try {
      watcher = watch(folder, () => {
        clearTimeout(debounce);
        debounce = setTimeout(background, DEBOUNCE_MS);
        debounce.unref();
      });
      watcher.on("error", () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined; // no folder yet: the poll looks again
    }
  };

  return {
    folder,
    projectId,
    sync,
    start() {
      stopped = false;
      watchFolder();
      poll = setInterval(() => {
        watchFolder();
        background();
      }, opts.pollMs ?? 1000);
      poll.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(debounce);
      watcher?.close();
      watcher = undefined;
      await tail;
    },
    files: () => [...known.values()].map(stateOf).sort((a, b) => a.name.localeCompare(b.name)),
    fileOf(definitionId) {
      if (!isFileDefinition(definitionId)) return undefined;
      const k = [...known.values()].find((f) => f.definitionId === definitionId);
      return k && stateOf(k);
    },
  };
}
