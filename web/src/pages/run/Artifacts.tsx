/** A run's (or a step's) artifacts: previews where safe, downloads, and an upload button. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Download, File as FileIcon, FileText, Upload } from "lucide-react";
import { useRef, useState } from "react";
import { messageOf } from "../../api/client";
import { DocumentAttachments } from "../../components/attachments/DocumentAttachments";
import { ImageThumb } from "../../components/attachments/ImageThumb";
import { artifactHref, downloadArtifact, fetchArtifact, isMarkdown, isRaster, uploadArtifact } from "./artifact-io";
import { type Artifact, formatBytes, keys } from "./types";

const MARKDOWN_PREVIEW_BYTES = 256 * 1024;
let hooked = false;

function MarkdownPreview({ a }: { a: Artifact }) {
  const q = useQuery({
    queryKey: ["artifact-md", a.id],
    queryFn: async () => {
      // Loaded on demand: the markdown renderer and the sanitiser stay out of the first load.
      const [{ marked }, { default: DOMPurify }, blob] = await Promise.all([
        import("marked"),
        import("dompurify"),
        fetchArtifact(a.id),
      ]);
      const text = await blob.slice(0, MARKDOWN_PREVIEW_BYTES).text();
      if (!hooked) {
        hooked = true;
        DOMPurify.addHook("afterSanitizeAttributes", (node) => {
          // images without a description are decoration; links leave the page without access to it
          if (node.tagName === "IMG" && !node.hasAttribute("alt")) node.setAttribute("alt", "");
          if (node.tagName === "A") {
            node.setAttribute("target", "_blank");
            node.setAttribute("rel", "noopener noreferrer");
          }
        });
      }
      // Sanitised: no script, no event handlers, no javascript: URLs — the HTML never runs anything.
      return DOMPurify.sanitize(await marked.parse(text, { async: true, gfm: true }), { USE_PROFILES: { html: true } });
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (q.error) return <p className="muted">Preview unavailable: {messageOf(q.error)}</p>;
  if (!q.data) return <p className="muted">Loading preview…</p>;
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised by DOMPurify above
  return <div className="markdown-body" dangerouslySetInnerHTML={{ __html: q.data }} />;
}

/** `canOperate`: a document's attachments can be changed here (absent: shown read-only). */
export function ArtifactItem({ a, canOperate = false }: { a: Artifact; canOperate?: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [showMd, setShowMd] = useState(false);
  const md = isMarkdown(a);
  return (
    <li className="artifact" data-artifact={a.id}>
      <div className="artifact-row">
        <span className="artifact-icon">
          {isRaster(a) ? (
            <ImageThumb image={a} className="artifact-thumb" />
          ) : md ? (
            <FileText size={18} aria-hidden="true" />
          ) : (
            <FileIcon size={18} aria-hidden="true" />
          )}
        </span>
        <span className="artifact-text">
          <span className="artifact-name" title={a.name}>
            {a.name}
          </span>
          <span className="artifact-meta">
            {a.file_type} · {formatBytes(a.size_bytes)}
            {a.workflow_run_step_id ? ` · ${a.workflow_run_step_id.slice(a.workflow_run_id.length + 1)}` : ""}
          </span>
        </span>
        {md && (
          <button type="button" className="btn btn-sm" aria-expanded={showMd} onClick={() => setShowMd((v) => !v)}>
            {showMd ? "Hide" : "Preview"}
          </button>
        )}
        <a
          className="icon-btn"
          href={artifactHref(a.id)}
          download={a.name}
          aria-label={`Download ${a.name}`}
          title="Download"
          onClick={(e) => {
            e.preventDefault();
            setError(null);
            downloadArtifact(a).catch((err) => setError(messageOf(err)));
          }}
        >
          <Download size={16} aria-hidden="true" />
        </a>
      </div>
      {showMd && <MarkdownPreview a={a} />}
      {a.file_type === "document" && <DocumentAttachments document={a} canOperate={canOperate} />}
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function ArtifactList({
  artifacts,
  empty,
  canOperate,
}: {
  artifacts: Artifact[];
  empty: string;
  canOperate?: boolean;
}) {
  if (artifacts.length === 0) return <p className="muted empty">{empty}</p>;
  return (
    <ul className="artifact-list">
      {artifacts.map((a) => (
        <ArtifactItem key={a.id} a={a} canOperate={canOperate} />
      ))}
    </ul>
  );
}

/** An upload button: the chosen file goes to the run (or the step), the lists refresh. */
export function UploadButton({
  runId,
  stepKey,
  label = "Upload",
}: {
  runId: string;
  stepKey?: string;
  label?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="upload">
      <input
        ref={input}
        type="file"
        className="visually-hidden"
        aria-label={stepKey ? `Upload a file to step ${stepKey}` : "Upload a file to the run"}
        tabIndex={-1}
        onChange={async (e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = "";
          if (!file) return;
          setBusy(true);
          setError(null);
          try {
            await uploadArtifact(runId, file, stepKey);
            await qc.invalidateQueries({ queryKey: keys.artifacts(runId) });
            await qc.invalidateQueries({ queryKey: ["step"] });
          } catch (err) {
            setError(messageOf(err));
          } finally {
            setBusy(false);
          }
        }}
      />
      <button type="button" className="btn btn-sm" disabled={busy} onClick={() => input.current?.click()}>
        <Upload size={14} aria-hidden="true" />
        {busy ? "Uploading…" : label}
      </button>
      {error && (
        <span className="inline-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
