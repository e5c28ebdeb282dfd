/**
 * Context documents: document artifacts a run is given in its args (the `weft-document` convention,
 * definition/args.ts) whose text an agent step hands to its agent (`documents:`).
 *
 * Who may read what. A run reads only documents of its own project — any of the project's runs, since a
 * document is typically uploaded to an earlier run or made by one. The check happens twice: at launch, so a
 * wrong id is a 422 on its field before anything runs, and again when a step reads the text, so a run launched
 * without the first check (a library caller) cannot read another project's files either. An id of another
 * project is answered exactly like an unknown one.
 *
 * What is readable: text only (`text/*`, JSON, XML, YAML), at most `MAX_CONTEXT_DOCUMENT_BYTES` each — a PDF or
 * an image is refused with a message rather than handed to the model as garbage.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Issue, TerminalError } from "../core/errors.js";
import type { JsonObject } from "../core/json.js";
import { documentArgs } from "../definition/args.js";
import type { ArtifactRecord, Store } from "../store/store.js";

/** The most bytes of one context document given to an agent. */
export const MAX_CONTEXT_DOCUMENT_BYTES = 512 * 1024;

const TEXT_TYPES = new Set(["application/json", "application/xml", "application/yaml", "application/x-yaml"]);

/** Whether a MIME type is text an agent can read. */
export function isTextType(mime: string): boolean {
  return mime.startsWith("text/") || TEXT_TYPES.has(mime) || mime.endsWith("+json") || mime.endsWith("+xml");
}

/** The document artifact `id` of `projectId`, or why it cannot be a context document of a run there. */
export async function findContextDocument(
  store: Store,
  projectId: string,
  id: string,
): Promise<{ artifact: ArtifactRecord } | { problem: string }> {
  const artifact = await store.artifacts.get(id);
  const run = artifact ? await store.runs.get(artifact.runId) : undefined;
  if (!artifact || run?.projectId !== projectId) {
    return { problem: `no document artifact has id ${id} in project ${projectId}` };
  }
  if (artifact.fileType !== "document") {
    return { problem: `artifact ${id} (${artifact.name}) is ${article(artifact.fileType)}, not a document` };
  }
  if (!isTextType(artifact.mimeType)) {
    return {
      problem: `document ${id} (${artifact.name}) is ${artifact.mimeType}; only text documents (Markdown, plain text, JSON…) can be given to an agent`,
    };
  }
  if (artifact.sizeBytes > MAX_CONTEXT_DOCUMENT_BYTES) {
    return {
      problem: `document ${id} (${artifact.name}) has ${artifact.sizeBytes} bytes; at most ${MAX_CONTEXT_DOCUMENT_BYTES} are given to an agent`,
    };
  }
  return { artifact };
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/**
 * The launch check: every id in the args' document arguments names a text document of the project. One
 * `WEFT_ARGS` issue per bad id, on its field (`context_documents[1]`).
 */
export async function checkDocumentArgs(
  store: Store,
  argsSchema: JsonObject | undefined,
  args: JsonObject,
  projectId: string,
  file: string,
): Promise<Issue[]> {
  const issues: Issue[] = [];
  for (const { name, list } of documentArgs(argsSchema)) {
    const value = args[name];
    if (value === undefined || value === null) continue;
    const ids =
      list && Array.isArray(value) ? value.map((v, i) => [v, `${name}[${i}]`] as const) : [[value, name] as const];
    for (const [id, field] of ids) {
      if (typeof id !== "string") continue; // the args schema reports the type
      const found = await findContextDocument(store, projectId, id);
      if ("problem" in found) {
        issues.push({
          code: "WEFT_ARGS",
          severity: "error",
          message: `args.${field}: ${found.problem}`,
          hint: "pick a text document of this project (GET /api/artifacts?file_type=document)",
          location: { file, line: 1, column: 1 },
          field,
        });
      }
    }
  }
  return issues;
}

/** A context document's name and text, for a step of a run of `projectId`; a `TerminalError` when refused. */
export async function readContextDocument(
  store: Store,
  dataDir: string,
  projectId: string,
  id: string,
): Promise<{ id: string; name: string; text: string }> {
  const found = await findContextDocument(store, projectId, id);
  if ("problem" in found) throw new TerminalError(found.problem, "WEFT_NOT_FOUND");
  const a = found.artifact;
  let text: string;
  try {
    text = await readFile(join(dataDir, a.storageKey), "utf8");
  } catch {
    throw new TerminalError(`the file of document ${id} (${a.name}) is missing`, "WEFT_NOT_FOUND");
  }
  return { id: a.id, name: a.name, text };
}
