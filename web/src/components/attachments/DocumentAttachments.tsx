/**
 * A document artifact's attached images (seed 000): a grid of thumbnails, the primary one starred, "Set as
 * primary" and "Detach" on each, the count against the limit, and "Attach images" (AttachImagesDialog). Any
 * page can show it for a document artifact; without `canOperate` the writes are hidden (the server refuses a
 * read-only token anyway) and a document with no images shows nothing.
 */
import { ImagePlus, Star, X } from "lucide-react";
import { useId, useState } from "react";
import { messageOf } from "../../api/client";
import type { Artifact } from "../../pages/run/types";
import { AttachImagesDialog } from "./AttachImagesDialog";
import { type Attachment, MAX_ATTACHMENTS, useAttachmentActions, useAttachments } from "./attachments";
import { ImageThumb } from "./ImageThumb";
import "./attachments.css";

export function DocumentAttachments({ document: doc, canOperate }: { document: Artifact; canOperate: boolean }) {
  const q = useAttachments(doc.id);
  const actions = useAttachmentActions(doc.id);
  const [open, setOpen] = useState(false);
  const headingId = useId();
  const list = q.data ?? [];
  const full = list.length >= MAX_ATTACHMENTS;
  const failure = actions.detach.error ?? actions.setPrimary.error;
  const busy = actions.detach.isPending || actions.setPrimary.isPending;
  // Read-only (a comment's files, a read token): nothing to show until images are attached.
  if (!canOperate && q.isSuccess && list.length === 0) return null;

  return (
    <section className="doc-att" aria-labelledby={headingId} data-document-attachments={doc.id}>
      <header className="doc-att-head">
        <h3 id={headingId}>Document attachments</h3>
        <span
          className={`doc-att-count${full ? " is-full" : ""}`}
          role="status"
          aria-label={`${list.length} of ${MAX_ATTACHMENTS} images attached`}
        >
          {list.length} / {MAX_ATTACHMENTS}
        </span>
        {canOperate && (
          <button
            type="button"
            className="btn btn-sm doc-att-add"
            disabled={full || q.isPending}
            aria-describedby={full ? `${headingId}-full` : undefined}
            onClick={() => setOpen(true)}
          >
            <ImagePlus size={14} aria-hidden="true" />
            Attach images
          </button>
        )}
      </header>
      {q.error ? (
        <p className="inline-error" role="alert">
          {messageOf(q.error)}
        </p>
      ) : list.length === 0 ? (
        <p className="muted doc-att-empty">{q.isPending ? "Loading…" : "No images attached."}</p>
      ) : (
        <ul className="doc-att-grid">
          {list.map((a) => (
            <AttachedImage
              key={a.image_id}
              a={a}
              canOperate={canOperate}
              busy={busy}
              onPrimary={() => actions.setPrimary.mutate(a.image_id)}
              onDetach={() => actions.detach.mutate(a.image_id)}
            />
          ))}
        </ul>
      )}
      {canOperate && full && (
        <p id={`${headingId}-full`} className="doc-att-note">
          The limit of {MAX_ATTACHMENTS} images is reached — detach one to attach another.
        </p>
      )}
      {failure && (
        <p className="inline-error" role="alert">
          {messageOf(failure)}
        </p>
      )}
      {open && <AttachImagesDialog document={doc} attached={list} onClose={() => setOpen(false)} />}
    </section>
  );
}

function AttachedImage({
  a,
  canOperate,
  busy,
  onPrimary,
  onDetach,
}: {
  a: Attachment;
  canOperate: boolean;
  busy: boolean;
  onPrimary: () => void;
  onDetach: () => void;
}) {
  const name = a.image?.name ?? "(deleted image)";
  return (
    <li className={`doc-att-item${a.is_primary ? " is-primary" : ""}`} data-image={a.image_id}>
      <span className="doc-att-frame">
        {a.image ? <ImageThumb image={a.image} className="doc-att-thumb" /> : <span className="doc-att-thumb" />}
        {canOperate ? (
          <>
            <button
              type="button"
              className="doc-att-star"
              aria-pressed={a.is_primary}
              aria-label={a.is_primary ? `${name} is the primary image` : `Set ${name} as primary`}
              title={a.is_primary ? "Primary image" : "Set as primary"}
              disabled={busy}
              onClick={a.is_primary ? undefined : onPrimary}
            >
              <Star size={14} aria-hidden="true" fill={a.is_primary ? "currentColor" : "none"} />
            </button>
            <button
              type="button"
              className="doc-att-detach"
              aria-label={`Detach ${name}`}
              title="Detach"
              disabled={busy}
              onClick={onDetach}
            >
              <X size={14} aria-hidden="true" />
            </button>
          </>
        ) : (
          a.is_primary && (
            <span className="doc-att-star" role="img" aria-label="Primary image">
              <Star size={14} aria-hidden="true" fill="currentColor" />
            </span>
          )
        )}
      </span>
      <span className="doc-att-name" title={name}>
        {name}
      </span>
    </li>
  );
}
