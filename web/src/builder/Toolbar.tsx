import { CheckCircle2, Download, FlaskConical, Loader2, Play, Redo2, Save, Undo2 } from "lucide-react";
import type { ReactNode } from "react";

export type Busy = "save" | "validate" | "test" | "launch" | "clone" | null;

export interface ToolbarProps {
  readOnly: boolean;
  busy: Busy;
  canUndo: boolean;
  canRedo: boolean;
  dirty: boolean;
  canLaunch: boolean;
  onUndo: () => void;
  onRedo: () => void;
  onSave: () => void;
  onValidate: () => void;
  onTestRun: () => void;
  onLaunch: () => void;
  onDownload: () => void;
}

function Spin({ on, children }: { on: boolean; children: ReactNode }) {
  return on ? <Loader2 size={15} className="spin" aria-hidden="true" /> : children;
}

/** The builder's actions: history, then checks and runs, then the file. */
export function Toolbar(p: ToolbarProps) {
  return (
    <div className="builder-toolbar" role="toolbar" aria-label="Workflow actions">
      {!p.readOnly && (
        <div className="tool-group">
          <button
            type="button"
            className="icon-btn"
            aria-label="Undo"
            title="Undo (Ctrl+Z)"
            disabled={!p.canUndo}
            onClick={p.onUndo}
          >
            <Undo2 size={16} aria-hidden="true" />
          </button>
          <button
            type="button"
            className="icon-btn"
            aria-label="Redo"
            title="Redo (Ctrl+Shift+Z)"
            disabled={!p.canRedo}
            onClick={p.onRedo}
          >
            <Redo2 size={16} aria-hidden="true" />
          </button>
        </div>
      )}
      <div className="tool-group">
        {!p.readOnly && (
          <button type="button" className="btn btn-sm" onClick={p.onValidate} disabled={p.busy !== null}>
            <Spin on={p.busy === "validate"}>
              <CheckCircle2 size={15} aria-hidden="true" />
            </Spin>
            Validate
          </button>
        )}
        <button type="button" className="btn btn-sm" onClick={p.onDownload}>
          <Download size={15} aria-hidden="true" /> Download
        </button>
        <button type="button" className="btn btn-sm" onClick={p.onTestRun} disabled={p.busy !== null}>
          <Spin on={p.busy === "test"}>
            <FlaskConical size={15} aria-hidden="true" />
          </Spin>
          Test run
        </button>
        <button type="button" className="btn btn-sm" onClick={p.onLaunch} disabled={p.busy !== null || !p.canLaunch}>
          <Spin on={p.busy === "launch"}>
            <Play size={15} aria-hidden="true" />
          </Spin>
          Launch
        </button>
        {!p.readOnly && (
          <button type="button" className="btn btn-sm btn-primary" onClick={p.onSave} disabled={p.busy !== null}>
            <Spin on={p.busy === "save"}>
              <Save size={15} aria-hidden="true" />
            </Spin>
            {p.dirty ? "Save" : "Saved"}
          </button>
        )}
      </div>
    </div>
  );
}
