/**
 * "Attach images" to a document: pick images of this run or of any run of its project, or upload new ones
 * (to the document's run, as `image` artifacts), then attach the selection in the order picked. The limit
 * is enforced here before the server would refuse it: once the selection fills the slots left, the other
 * images cannot be selected and the dialog says why. Should the server refuse anyway (another tab attached
 * meanwhile), its message is shown and the count refreshes.
 */
import { useQueryClient } from "@tanstack/react-query";
import { Check, Upload } from "lucide-react";
import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { messageOf } from "../../api/client";
import { RASTER, uploadArtifact } from "../../pages/run/artifact-io";
import { Dialog } from "../../pages/run/Dialog";
import { type Artifact, formatBytes, keys } from "../../pages/run/types";
import {
  type Attachment,
  MAX_ATTACHMENTS,
  useAttachmentActions,
  useProjectImages,
  useRunImages,
  useRunProject,
} from "./attachments";
import { ImageThumb } from "./ImageThumb";

type Tab = "run" | "project" | "upload";
const TABS: { id: Tab; label: string }[] = [
  { id: "run", label: "From this run" },
  { id: "project", label: "From this project" },
  { id: "upload", label: "Upload new" },
];

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

export function AttachImagesDialog({
  document: doc,
  attached,
  onClose,
}: {
  document: Artifact;
  attached: Attachment[];
  onClose: () => void;
}) {
  const runId = doc.workflow_run_id;
  const [tab, setTab] = useState<Tab>("run");
  const [selected, setSelected] = useState<string[]>([]);
  const [uploaded, setUploaded] = useState<Artifact[]>([]);
  const { attach } = useAttachmentActions(doc.id);
  const ids = useId();
  const tabRefs = useRef<Partial<Record<Tab, HTMLButtonElement | null>>>({});

  const attachedIds = new Set(attached.map((a) => a.image_id));
  const remaining = Math.max(0, MAX_ATTACHMENTS - attached.length);
  const slotsLeft = remaining - selected.length;
  const full = slotsLeft <= 0;

  // Fewer slots than selected images (the server refused: others attached meanwhile): keep what still fits.
  useEffect(() => setSelected((s) => (s.length > remaining ? s.slice(0, remaining) : s)), [remaining]);

  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : s.length < remaining ? [...s, id] : s));

  const onTabKey = (e: KeyboardEvent) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    e.preventDefault();
    const next = TABS[(TABS.findIndex((t) => t.id === tab) + step + TABS.length) % TABS.length]?.id ?? "run";
    setTab(next);
    tabRefs.current[next]?.focus();
  };

  const grid = (images: Pickable[] | undefined, pending: boolean, empty: string) => (
    <ImageGrid
      images={images}
      pending={pending}
      empty={empty}
      runId={runId}
      attachedIds={attachedIds}
      selected={selected}
      full={full}
      onToggle={toggle}
    />
  );

  return (
    <Dialog
      title={`Attach images to ${doc.name}`}
      className="attach-dialog"
      onClose={onClose}
      footer={
        <>
          {attach.error && (
            <p className="inline-error attach-refused" role="alert">
              Not attached: {messageOf(attach.error)}
            </p>
          )}
          <span className="attach-sum">{plural(selected.length, "image")} selected</span>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={selected.length === 0 || attach.isPending}
            onClick={() => attach.mutate(selected, { onSuccess: onClose })}
          >
            {attach.isPending
              ? "Attaching…"
              : selected.length > 0
                ? `Attach ${plural(selected.length, "image")}`
                : "Attach"}
          </button>
        </>
      }
    >
      <div className="attach-tabs" role="tablist" aria-label="Where the images come from">
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`${ids}-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`${ids}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            className="attach-tab"
            onClick={() => setTab(t.id)}
            onKeyDown={onTabKey}
          >
            {t.label}
          </button>
        ))}
      </div>
      <LimitNote attached={attached.length} selected={selected.length} remaining={remaining} />
      <div className="attach-panel" role="tabpanel" id={`${ids}-panel`} aria-labelledby={`${ids}-${tab}`}>
        {tab === "run" && <RunImages runId={runId} render={grid} />}
        {tab === "project" && <ProjectImages runId={runId} render={grid} />}
        {tab === "upload" && (
          <UploadImages
            runId={runId}
            slotsLeft={slotsLeft}
            onUploaded={(a) => {
              setUploaded((u) => [a, ...u]);
              setSelected((s) => (s.length < remaining ? [...s, a.id] : s));
            }}
          >
            {uploaded.length > 0 && grid(uploaded, false, "")}
          </UploadImages>
        )}
      </div>
    </Dialog>
  );
}

/** An image to pick: an artifact, with its run's name when it comes from the project's list. */
type Pickable = Artifact & { run_name?: string };
type RenderGrid = (images: Pickable[] | undefined, pending: boolean, empty: string) => ReactNode;

function RunImages({ runId, render }: { runId: string; render: RenderGrid }) {
  const q = useRunImages(runId);
  if (q.error) return <ErrorNote error={q.error} />;
  return render(q.data, q.isPending, "This run has no images yet — upload new ones in “Upload new”.");
}

function ProjectImages({ runId, render }: { runId: string; render: RenderGrid }) {
  const q = useProjectImages(useRunProject(runId));
  if (q.error) return <ErrorNote error={q.error} />;
  return (
    <>
      {render(q.data, q.isPending, "No run of this project has images yet.")}
      {q.hasNextPage && (
        <div className="attach-more">
          <button
            type="button"
            className="btn btn-sm"
            disabled={q.isFetchingNextPage}
            onClick={() => void q.fetchNextPage()}
          >
            {q.isFetchingNextPage ? "Loading…" : "Show more images"}
          </button>
        </div>
      )}
    </>
  );
}

function ErrorNote({ error }: { error: unknown }) {
  return (
    <p className="inline-error" role="alert">
      {messageOf(error)}
    </p>
  );
}

/** "n / 20": how many are attached and selected, and what is still possible. */
function LimitNote({ attached, selected, remaining }: { attached: number; selected: number; remaining: number }) {
  const total = attached + selected;
  const reached = selected >= remaining;
  return (
    <p className={`attach-limit${reached ? " is-reached" : ""}`} role="status">
      <strong>
        {total} / {MAX_ATTACHMENTS}
      </strong>{" "}
      {remaining === 0
        ? `This document already has ${MAX_ATTACHMENTS} images — detach one to attach another.`
        : reached
          ? `Limit reached: a document takes at most ${MAX_ATTACHMENTS} images. Deselect one to choose another.`
          : `${attached} attached${selected > 0 ? `, ${selected} selected` : ""} — you can select ${plural(remaining - selected, "more image")}.`}
    </p>
  );
}

function ImageGrid({
  images,
  pending,
  empty,
  runId,
  attachedIds,
  selected,
  full,
  onToggle,
}: {
  images: Pickable[] | undefined;
  pending: boolean;
  empty: string;
  runId: string;
  attachedIds: ReadonlySet<string>;
  selected: string[];
  full: boolean;
  onToggle: (id: string) => void;
}) {
  if (pending || !images) {
    return (
      <ul className="attach-grid" aria-busy="true" aria-label="Loading images">
        {[0, 1, 2, 3, 4].map((i) => (
          <li key={i} className="attach-pick is-skeleton" />
        ))}
      </ul>
    );
  }
  if (images.length === 0) return <p className="muted attach-empty">{empty}</p>;
  return (
    <ul className="attach-grid">
      {images.map((img) => {
        const isAttached = attachedIds.has(img.id);
        const isSelected = selected.includes(img.id);
        const blocked = !isAttached && !isSelected && full;
        const state = isAttached ? "attached" : isSelected ? "selected" : blocked ? "blocked" : "free";
        return (
          <li key={img.id}>
            <label
              className={`attach-pick is-${state}`}
              data-image={img.id}
              title={blocked ? `The limit of ${MAX_ATTACHMENTS} images is reached` : img.name}
            >
              <input
                type="checkbox"
                className="visually-hidden"
                checked={isAttached || isSelected}
                disabled={isAttached || blocked}
                onChange={() => onToggle(img.id)}
              />
              <span className="attach-pick-frame">
                <ImageThumb image={img} className="attach-pick-thumb" />
                <span className="attach-pick-check" aria-hidden="true">
                  <Check size={12} strokeWidth={3} />
                </span>
              </span>
              <span className="attach-pick-name">{img.name}</span>
              <span className="attach-pick-meta">
                {isAttached ? "Attached" : formatBytes(img.size_bytes)}
                {img.workflow_run_id !== runId && ` · ${img.run_name ?? "another run"}`}
              </span>
            </label>
          </li>
        );
      })}
    </ul>
  );
}

/** Choose image files: each is uploaded to the run as an `image` artifact and selected. */
function UploadImages({
  runId,
  slotsLeft,
  onUploaded,
  children,
}: {
  runId: string;
  slotsLeft: number;
  onUploaded: (a: Artifact) => void;
  children: ReactNode;
}) {
  const input = useRef<HTMLInputElement>(null);
  const qc = useQueryClient();
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const hintId = useId();

  const choose = async (files: File[]) => {
    setProblem(null);
    if (files.length === 0) return;
    const wrong = files.find((f) => !RASTER.has(f.type));
    if (wrong) {
      setProblem(`${wrong.name} is not a PNG, JPEG, GIF or WebP image; nothing was uploaded.`);
      return;
    }
    if (files.length > slotsLeft) {
      setProblem(
        `Only ${plural(Math.max(0, slotsLeft), "more image")} fit${slotsLeft === 1 ? "s" : ""} (at most ${MAX_ATTACHMENTS} per document): choose fewer files. Nothing was uploaded.`,
      );
      return;
    }
    setProgress({ done: 0, total: files.length });
    try {
      for (const [i, f] of files.entries()) {
        onUploaded(await uploadArtifact(runId, f, undefined, "image"));
        setProgress({ done: i + 1, total: files.length });
      }
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setProgress(null);
      await qc.invalidateQueries({ queryKey: keys.artifacts(runId) });
      await qc.invalidateQueries({ queryKey: ["project"] });
    }
  };

  return (
    <div className="attach-upload">
      <div className="attach-drop">
        <Upload size={20} aria-hidden="true" />
        <input
          ref={input}
          type="file"
          multiple
          accept="image/png,image/jpeg,image/gif,image/webp"
          className="visually-hidden"
          aria-label="Image files to upload"
          tabIndex={-1}
          onChange={(e) => {
            const files = Array.from(e.currentTarget.files ?? []);
            e.currentTarget.value = "";
            void choose(files);
          }}
        />
        <button
          type="button"
          className="btn btn-sm"
          disabled={progress !== null || slotsLeft <= 0}
          aria-describedby={hintId}
          onClick={() => input.current?.click()}
        >
          {progress ? `Uploading ${progress.done + 1} of ${progress.total}…` : "Choose images…"}
        </button>
        <p id={hintId} className="muted">
          PNG, JPEG, GIF or WebP. Uploaded to this run, then selected here to attach.
        </p>
      </div>
      {problem && (
        <p className="inline-error" role="alert">
          {problem}
        </p>
      )}
      {children}
    </div>
  );
}
