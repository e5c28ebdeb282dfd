// The modal's styles (.dialog …) live with the run page, whose Dialog this reuses.
import "../pages/RunPage.css";
import { Dialog } from "../pages/run/Dialog";

/**
 * Someone saved the definition since it was opened (409 on save): both versions side by side, and the two ways
 * out — overwrite theirs with mine, or drop mine and continue from theirs.
 */
export function ConflictDialog({
  mine,
  theirs,
  theirVersion,
  busy,
  onKeepMine,
  onTakeTheirs,
  onClose,
}: {
  mine: string;
  theirs: string;
  theirVersion: number;
  busy: boolean;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog
      title="Someone else changed this workflow"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onTakeTheirs} disabled={busy}>
            Take theirs
          </button>
          <button type="button" className="btn btn-primary" onClick={onKeepMine} disabled={busy}>
            Keep mine (overwrite)
          </button>
        </>
      }
    >
      <p className="muted conflict-lead">
        It was saved as version {theirVersion} while you were editing. Keep your version (theirs is replaced), or take
        theirs (your changes are dropped).
      </p>
      <div className="conflict-cols">
        <section aria-label="Your version">
          <h3>Yours</h3>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling block must be reachable by keyboard */}
          <pre className="conflict-src" tabIndex={0}>
            {mine}
          </pre>
        </section>
        <section aria-label="Stored version">
          <h3>Stored · version {theirVersion}</h3>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling block must be reachable by keyboard */}
          <pre className="conflict-src" tabIndex={0}>
            {theirs}
          </pre>
        </section>
      </div>
    </Dialog>
  );
}
