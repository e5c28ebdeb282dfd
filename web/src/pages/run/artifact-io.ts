/**
 * Artifact bytes, fetched with this tab's token (an <img src> or <a href> cannot send the Authorization
 * header). Nothing an artifact holds is ever rendered in the UI's origin as a document: raster images become
 * blob: thumbnails, markdown is rendered to sanitised HTML (DOMPurify), and everything else is downloaded
 * as `application/octet-stream` under a cleaned file name.
 */

import { apiError } from "@client";
import { getToken } from "../../api/auth";
import type { Artifact } from "./types";

export const RASTER = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function isRaster(a: Artifact): boolean {
  return RASTER.has(a.mime_type);
}

export function isMarkdown(a: Artifact): boolean {
  return a.mime_type === "text/markdown" || /\.(md|markdown)$/i.test(a.name);
}

/** The artifact's URL (what the server answers as an attachment, sandboxed). */
export const artifactHref = (id: string) => `/api/artifacts/${encodeURIComponent(id)}`;

function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

export async function fetchArtifact(id: string, inline = false): Promise<Blob> {
  const res = await fetch(`${artifactHref(id)}${inline ? "?inline=1" : ""}`, { headers: authHeaders() });
  if (!res.ok) throw apiError(res, await res.json().catch(() => undefined));
  return res.blob();
}

/** A file name safe to save as: no path separators, quotes or control characters. */
export function safeFileName(name: string): string {
  const clean = Array.from(name, (c) =>
    c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 || `"'\\/:*?<>|`.includes(c) ? "_" : c,
  )
    .join("")
    .replace(/_+/g, "_")
    .trim();
  return clean.replace(/^\.+/, "") || "artifact";
}

/** Saves the artifact as a download (bytes as octet-stream: the browser never renders them). */
export async function downloadArtifact(a: Artifact): Promise<void> {
  const blob = await fetchArtifact(a.id);
  const url = URL.createObjectURL(new Blob([blob], { type: "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = safeFileName(a.name);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Uploads a file to the run (or one of its steps): multipart `POST …/artifacts`; the server guesses the type if not given. */
export async function uploadArtifact(
  runId: string,
  file: File,
  stepKey?: string,
  fileType?: Artifact["file_type"],
): Promise<Artifact> {
  const form = new FormData();
  if (stepKey) form.append("step_id", stepKey);
  if (fileType) form.append("file_type", fileType);
  form.append("file", file, file.name);
  const res = await fetch(`/api/workflow-executions/${encodeURIComponent(runId)}/artifacts`, {
    method: "POST",
    headers: authHeaders(),
    body: form,
  });
  const body = (await res.json().catch(() => undefined)) as { data?: Artifact } | undefined;
  if (!res.ok || !body?.data) throw apiError(res, body);
  return body.data;
}
