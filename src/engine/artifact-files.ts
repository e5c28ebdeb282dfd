/**
 * Artifact files: how a file's name becomes its MIME type and seed 002 `file_type`, where its bytes go
 * (storage keys the server generates, never from the user's name), and how they get there (a temp file
 * renamed into place, so a reader never sees half a file). Shared by the server's uploads and steps'
 * `ctx.artifacts`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ArtifactFileType } from "../store/store.js";

const EXT_MIME: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  bmp: "image/bmp",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  pdf: "application/pdf",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  md: "text/markdown",
  txt: "text/plain",
  json: "application/json",
  ts: "text/x-typescript",
  js: "text/javascript",
  py: "text/x-python",
  sh: "text/x-shellscript",
  yaml: "application/yaml",
  yml: "application/yaml",
  html: "text/html",
  css: "text/css",
};
/** The usual extension of a MIME type: the first one `EXT_MIME` lists for it (`image/jpeg` → `jpg`). */
const MIME_EXT = new Map<string, string>();
for (const [ext, mime] of Object.entries(EXT_MIME)) if (!MIME_EXT.has(mime)) MIME_EXT.set(mime, ext);

const CODE_EXT = new Set(["ts", "tsx", "js", "jsx", "mjs", "cjs", "py", "go", "rs", "java", "c", "h", "cpp", "sh"]);
const CODE_EXT2 = new Set(["rb", "php", "cs", "kt", "swift", "sql", "css", "html", "json", "yaml", "yml", "toml"]);
const DOC_EXT = new Set(["pdf", "doc", "docx", "odt", "rtf", "md", "txt", "ppt", "pptx", "xls", "xlsx", "csv"]);

/** The name's extension, lowercased, when it is short and plain (`[a-z0-9]{1,10}`); else "". */
export function extensionOf(name: string): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(name);
  return m?.[1] ? m[1].toLowerCase() : "";
}

/** The usual extension of a MIME type (`image/png` → `png`, `text/markdown` → `md`), or "" when unknown. */
export function extensionForMime(mime: string): string {
  return MIME_EXT.get(mime.toLowerCase()) ?? "";
}

/** A client's MIME type without parameters when it is well-formed; else one guessed from the extension. */
export function mimeOf(given: string | undefined, name: string): string {
  const m = given ? /^\s*([A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*)\s*(;.*)?$/.exec(given) : null;
  const clean = m?.[1]?.toLowerCase();
  if (clean && clean !== "application/octet-stream") return clean;
  return EXT_MIME[extensionOf(name)] ?? "application/octet-stream";
}

/** seed 002's `file_type` from the MIME type, then the extension. */
export function fileTypeOf(mime: string, name: string): ArtifactFileType {
  const ext = extensionOf(name);
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("video/")) return "video";
  if (CODE_EXT.has(ext) || CODE_EXT2.has(ext)) return "code";
  if (DOC_EXT.has(ext) || mime === "application/pdf" || mime.startsWith("text/")) return "document";
  return "other";
}

/** The stored display name: control characters (NUL, newlines, …) become `_`; at most 1000 characters. */
export function displayName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, "_").slice(0, 1000);
  return clean.trim() === "" ? "file" : clean;
}

/** A storage key segment from a step key: `[A-Za-z0-9._-]` only, never `.` or `..`. */
export function keySegment(stepKey: string): string {
  const s = stepKey.replace(/[^A-Za-z0-9._-]/g, "_");
  return s === "." || s === ".." || s === "" ? "_step" : s;
}

/**
 * `runs/<run>/artifacts/<step key segment, or _run>/<file id>[.<ext>]`: relative to the data dir, made of
 * safe segments only. `fileId` is a UUID (random for uploads, derived for steps' artifacts).
 */
export function artifactStorageKey(runId: string, stepKey: string | null, fileId: string, ext: string): string {
  const folder = stepKey === null ? "_run" : keySegment(stepKey);
  return `runs/${runId}/artifacts/${folder}/${fileId}${ext ? `.${ext}` : ""}`;
}

/**
 * Writes `data` to `path` through a temp file in the same folder (flushed to disk, then renamed over `path`):
 * `path` holds either its old content or all of the new, never part of it. The temp file is removed when
 * the write fails.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.write-${randomUUID()}.tmp`);
  try {
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
