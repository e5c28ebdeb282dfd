/**
 * The visual builder (/builder/new, /builder/:id). The YAML text is the only state: the canvas, the config
 * panel and the YAML pane all show the graph read from it, and every action is one edit of the text (the
 * document model in builder/doc keeps comments and key order), so undo/redo is a stack of texts. A text that
 * does not parse keeps the last graph that did on the canvas, read-only until the YAML is fixed. TypeScript
 * definitions and built-in templates open read-only.
 */
import "./BuilderPage.css";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { AlertTriangle, ChevronLeft, Code2, Copy, Lock } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { api, call, messageOf, WeftApiError } from "../api/client";
import { useSession } from "../api/session";
import { BuilderCanvas, type EdgeRef } from "../builder/BuilderCanvas";
import { ConfigPanel } from "../builder/ConfigPanel";
import { ConflictDialog } from "../builder/ConflictDialog";
import { type Definition, fileName, graphOfDefinition, NEW_WORKFLOW } from "../builder/definition";
import {
  addStep,
  connect,
  disconnect,
  readGraph,
  removeStep,
  renameStep,
  setEdgeOn,
  setPositions,
  setStepField,
} from "../builder/doc";
import type { BuilderGraph, JsonValue, Position } from "../builder/doc/types";
import { autoLayout, freeSpot, positionsOf } from "../builder/layout";
import { Palette } from "../builder/Palette";
import { freshId } from "../builder/references";
import { nodeTypeItems, type PaletteItem, paletteItems, useStepTypes } from "../builder/step-types";
import { type Busy, Toolbar } from "../builder/Toolbar";
import { useHistory } from "../builder/useHistory";
import { useValidation } from "../builder/useValidation";
import { YamlPane } from "../builder/yaml/YamlPane";
import { ErrorView } from "../components/ErrorView";

type Notice = { kind: "ok" | "error"; text: string } | null;

function useMedia(query: string): boolean {
  const [match, setMatch] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const m = window.matchMedia(query);
    const on = () => setMatch(m.matches);
    m.addEventListener("change", on);
    return () => m.removeEventListener("change", on);
  }, [query]);
  return match;
}

const inField = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));

function Builder({ def }: { def: Definition | null }) {
  const [, navigate] = useLocation();
  const qc = useQueryClient();
  const { data: session } = useSession();
  const stepTypes = useStepTypes();
  const { fitView } = useReactFlow();

  const isTs = def?.format === "ts";
  // A definitions folder's file is changed in the file (weft serve reads it again), not here.
  const fromFile = def?.origin === "file";
  const readOnly = isTs || def?.system === true || fromFile;
  const format: "yaml" | "json" = def?.format === "json" ? "json" : "yaml";
  const projectId =
    def?.project_id ?? session?.scopes.find((s) => s.project_id !== "*" && s.role === "admin")?.project_id ?? "default";

  const history = useHistory(def?.source ?? NEW_WORKFLOW);
  const text = history.text;
  const textRef = useRef(text);
  textRef.current = text;
  const [baseline, setBaseline] = useState({ source: def?.source ?? null, version: def?.version ?? 0 });
  const dirty = text !== baseline.source;

  // The graph: read from the text (TypeScript: the server's pre-run steps); the last good one while it does not parse.
  const read = useMemo(() => (isTs ? null : readGraph(text, stepTypes.data)), [text, stepTypes.data, isTs]);
  const lastGood = useRef<BuilderGraph | null>(null);
  if (read?.ok) lastGood.current = read.graph;
  const tsGraph = useMemo(() => (isTs && def ? graphOfDefinition(def) : null), [isTs, def]);
  const graph = tsGraph ?? lastGood.current;
  const syntaxProblems = read && !read.ok ? read.problems : [];
  const broken = syntaxProblems.length > 0;
  const canvasReadOnly = readOnly || broken;

  const positions = useMemo(() => (graph ? positionsOf(graph) : {}), [graph]);
  const validation = useValidation(text, graph, format, !isTs && !broken);
  const problemsByStep = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const p of validation.problems) {
      if (!p.stepId || p.severity !== "error") continue;
      m.set(p.stepId, [...(m.get(p.stepId) ?? []), p.message]);
    }
    return m;
  }, [validation.problems]);

  const [selected, setSelected] = useState<string | null>(null);
  const [selectedEdge, setSelectedEdge] = useState<EdgeRef | null>(null);
  const step = graph?.steps.find((s) => s.id === selected);
  const [tab, setTab] = useState<"canvas" | "yaml">("canvas");
  // Wide screens: the selected step's settings and the YAML share the column beside the canvas.
  const [side, setSide] = useState<"step" | "yaml">("yaml");
  const narrow = useMedia("(max-width: 900px)");
  const [busy, setBusy] = useState<Busy>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [conflict, setConflict] = useState<{ source: string; version: number } | null>(null);

  /** One edit of the text (refused while it does not parse: the canvas then shows an older graph). */
  const edit = useCallback(
    (fn: (t: string) => string, coalesce?: string) => {
      if (canvasReadOnly) return;
      try {
        history.set(fn(textRef.current), coalesce);
      } catch (err) {
        setNotice({ kind: "error", text: messageOf(err) });
      }
    },
    [canvasReadOnly, history.set],
  );

  const add = useCallback(
    (item: PaletteItem, at?: Position): string | undefined => {
      if (!graph) return undefined;
      const id = freshId(graph, item.nodeType ?? item.key);
      const where = at ?? freeSpot(positions, selected ?? undefined);
      edit((t) => {
        let next = addStep(
          t,
          {
            id,
            type: item.type,
            ...(item.nodeType ? { nodeType: item.nodeType, name: item.label } : {}),
            ...(Object.keys(item.config).length ? { config: item.config } : {}),
          },
          where,
        );
        if (item.foreach) next = setStepField(next, id, "foreach", item.foreach);
        return next;
      });
      return id;
    },
    [graph, positions, selected, edit],
  );

  const items = useMemo(() => (stepTypes.data ? paletteItems(stepTypes.data) : []), [stepTypes.data]);
  const nodeItems = useMemo(() => (stepTypes.data ? nodeTypeItems(stepTypes.data) : []), [stepTypes.data]);
  const typeInfo = step ? stepTypes.data?.types.find((t) => t.type === step.type) : undefined;

  const onDelete = useCallback(
    (steps: string[], edges: EdgeRef[]) => {
      edit((t) => {
        let next = t;
        for (const e of edges)
          if (!steps.includes(e.from) && !steps.includes(e.to)) next = disconnect(next, e.from, e.to);
        for (const s of steps) next = removeStep(next, s);
        return next;
      });
      if (selected && steps.includes(selected)) setSelected(null);
      setSelectedEdge(null);
    },
    [edit, selected],
  );

  // Undo/redo from the keyboard, outside text fields (they have their own).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || inField(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === "z" && !e.shiftKey) history.undo();
      else if ((k === "z" && e.shiftKey) || k === "y") history.redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [history.undo, history.redo]);

  const save = async (source: string, version: number): Promise<Definition | null> => {
    setBusy("save");
    setNotice(null);
    try {
      if (!def) {
        const created = await call(
          api.POST("/api/workflow-definitions", { body: { source, format, project_id: projectId } }),
        );
        qc.setQueryData(["definition", created.id], created);
        navigate(`/builder/${created.id}`, { replace: true });
        return created;
      }
      const updated = await call(
        api.PUT("/api/workflow-definitions/{id}", {
          params: { path: { id: def.id } },
          body: { source, version, format },
        }),
      );
      setBaseline({ source: updated.source, version: updated.version });
      qc.setQueryData(["definition", def.id], updated);
      void qc.invalidateQueries({ queryKey: ["definitions"] });
      setNotice({ kind: "ok", text: `Saved · version ${updated.version}` });
      return updated;
    } catch (err) {
      if (def && err instanceof WeftApiError && err.status === 409) {
        const stored = await call(api.GET("/api/workflow-definitions/{id}", { params: { path: { id: def.id } } }));
        if (stored.version !== version) {
          setConflict({ source: stored.source, version: stored.version });
          return null;
        }
      }
      const issues = err instanceof WeftApiError && Array.isArray(err.body?.issues) ? err.body.issues.length : 0;
      setNotice({
        kind: "error",
        text:
          issues > 0
            ? `Not saved: the workflow has ${issues} ${issues === 1 ? "problem" : "problems"} (see the YAML).`
            : messageOf(err),
      });
      return null;
    } finally {
      setBusy(null);
    }
  };

  const testRun = async () => {
    setBusy("test");
    setNotice(null);
    try {
      const linked = def && (isTs || !dirty);
      const run = await call(
        api.POST("/api/workflow-executions", {
          body: {
            ...(linked ? { workflow_definition_id: def.id } : { workflow: { source: text, format } }),
            project_id: projectId,
            test_run: true,
            triggered_by: "builder",
          },
        }),
      );
      navigate(`/runs/${run.id}`);
    } catch (err) {
      setNotice({ kind: "error", text: `Test run not started: ${messageOf(err)}` });
      setBusy(null);
    }
  };

  const launch = async () => {
    let id = def?.id;
    if (!readOnly && (dirty || !def)) {
      const saved = await save(text, baseline.version);
      if (!saved) return;
      id = saved.id;
    }
    if (id) navigate(`/templates/${id}/launch`);
  };

  const download = () => {
    const blob = new Blob([text], { type: format === "json" ? "application/json" : "text/yaml" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = fileName(graph?.name ?? def?.name ?? "workflow", def?.format ?? format);
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  const cloneIt = async () => {
    if (!def) return;
    setBusy("clone");
    try {
      const copy = await call(
        api.POST("/api/workflow-definitions/{id}/clone", { params: { path: { id: def.id } }, body: {} }),
      );
      qc.setQueryData(["definition", copy.id], copy);
      navigate(`/builder/${copy.id}`);
    } catch (err) {
      setNotice({ kind: "error", text: `Not cloned: ${messageOf(err)}` });
    } finally {
      setBusy(null);
    }
  };

  const validateNow = async () => {
    setBusy("validate");
    const problems = await validation.validate(text);
    setBusy(null);
    if (problems === null) setNotice({ kind: "error", text: "Validation failed: the server did not answer." });
    else {
      const errors = problems.filter((p) => p.severity === "error").length;
      const warnings = problems.length - errors;
      setNotice(
        problems.length === 0
          ? { kind: "ok", text: "Valid: no problems." }
          : {
              kind: "error",
              text: `${errors} ${errors === 1 ? "error" : "errors"}, ${warnings} ${warnings === 1 ? "warning" : "warnings"}.`,
            },
      );
    }
  };

  const panel = step && graph && (
    <ConfigPanel
      key={step.id}
      graph={graph}
      step={step}
      typeInfo={typeInfo}
      readOnly={canvasReadOnly}
      problems={validation.problems.filter((p) => p.stepId === step.id).map((p) => p.message)}
      onField={(key, value: JsonValue | undefined, coalesce) =>
        edit((t) => setStepField(t, step.id, key, value), coalesce)
      }
      onRename={(to) => {
        edit((t) => renameStep(t, step.id, to));
        setSelected(to);
      }}
      onDelete={() => onDelete([step.id], [])}
      onClose={() => setSelected(null)}
    />
  );
  const docked = !narrow && panel && side === "step";

  const errorCount = syntaxProblems.length + validation.problems.filter((p) => p.severity === "error").length;
  const title = graph?.name ?? def?.name ?? "New workflow";

  return (
    <div className={`builder builder-tab-${tab}`}>
      <div className="builder-head">
        <div className="builder-title">
          <Link href="/templates" className="crumb builder-back" aria-label="Back to templates">
            <ChevronLeft size={16} aria-hidden="true" />
          </Link>
          <h1 title={title}>{title}</h1>
          {def?.system && <span className="builder-badge">Built-in</span>}
          {isTs && <span className="builder-badge">TypeScript</span>}
          {fromFile && (
            <span className="builder-badge" title={def?.path ?? undefined}>
              File
            </span>
          )}
          {!readOnly && dirty && def && <span className="builder-dirty">Unsaved</span>}
          {!def && <span className="builder-dirty">Not saved yet</span>}
          {errorCount > 0 && (
            <span className="builder-errors">
              <AlertTriangle size={13} aria-hidden="true" /> {errorCount} {errorCount === 1 ? "problem" : "problems"}
            </span>
          )}
        </div>
        <Toolbar
          readOnly={readOnly}
          busy={busy}
          canUndo={history.canUndo}
          canRedo={history.canRedo}
          dirty={dirty}
          canLaunch={!broken}
          onUndo={history.undo}
          onRedo={history.redo}
          onSave={() => void save(text, baseline.version)}
          onValidate={() => void validateNow()}
          onTestRun={() => void testRun()}
          onLaunch={() => void launch()}
          onDownload={download}
        />
      </div>
      <div role="status" aria-live="polite" className="builder-status">
        {notice && <p className={`builder-notice builder-notice-${notice.kind}`}>{notice.text}</p>}
      </div>
      {isTs && (
        <p className="builder-banner">
          <Code2 size={16} aria-hidden="true" />
          <span>
            <strong>Defined in TypeScript.</strong> Its source is code, so it opens read-only here: change it in your
            editor and register it again. The graph shows its steps as the server read them.
          </span>
        </p>
      )}
      {fromFile && !isTs && (
        <p className="builder-banner">
          <Lock size={16} aria-hidden="true" />
          <span>
            <strong>From the project's definitions folder</strong> (<code>{def?.path}</code>) — read-only here: edit the
            file, and the server reads it again.
          </span>
        </p>
      )}
      {def?.system && !isTs && (
        <div className="builder-banner">
          <Lock size={16} aria-hidden="true" />
          <span>
            <strong>A built-in template</strong> — read-only. Clone it to make your own copy to edit.
          </span>
          <button
            type="button"
            className="btn btn-sm btn-primary"
            onClick={() => void cloneIt()}
            disabled={busy !== null}
          >
            <Copy size={14} aria-hidden="true" /> Clone &amp; customise
          </button>
        </div>
      )}
      <div className="builder-tabs" role="tablist" aria-label="View">
        <button type="button" role="tab" aria-selected={tab === "canvas"} onClick={() => setTab("canvas")}>
          Canvas
        </button>
        <button type="button" role="tab" aria-selected={tab === "yaml"} onClick={() => setTab("yaml")}>
          {isTs ? "Source" : "YAML"}
          {syntaxProblems.length > 0 && (
            <span className="tab-dot" title="Syntax error">
              <span className="visually-hidden">(syntax error)</span>
            </span>
          )}
        </button>
      </div>
      <div className="builder-body">
        {!readOnly && (
          <Palette
            types={items}
            nodeTypes={nodeItems}
            onAdd={(i) => {
              // Added from the keyboard: selected, so its settings open next.
              const id = add(i);
              if (id) {
                setSelected(id);
                setSide("step");
              }
            }}
            disabled={canvasReadOnly || !graph}
          />
        )}
        <section className="builder-canvas" aria-label="Canvas">
          {broken && (
            <p className="canvas-broken" role="alert">
              <AlertTriangle size={14} aria-hidden="true" /> The YAML has a syntax error (line {syntaxProblems[0]?.line}
              ): the canvas shows the last valid graph.
            </p>
          )}
          {graph ? (
            <BuilderCanvas
              graph={graph}
              positions={positions}
              problems={problemsByStep}
              selectedStep={selected}
              selectedEdge={selectedEdge}
              readOnly={canvasReadOnly}
              onSelectStep={(id) => {
                setSelected(id);
                if (id) {
                  setSelectedEdge(null);
                  setSide("step");
                }
              }}
              onSelectEdge={(e) => {
                setSelectedEdge(e);
                if (e) setSelected(null);
              }}
              onDrop={(key, at) => {
                const item = [...items, ...nodeItems].find((i) => i.key === key);
                if (item) add(item, at);
              }}
              onConnect={(from, to, handle) => edit((t) => connect(t, from, to, "success", handle))}
              onDelete={onDelete}
              onMove={(moved) => edit((t) => setPositions(t, { ...positions, ...moved }))}
              onEdgeOn={(e, on) => edit((t) => setEdgeOn(t, e.from, e.to, on))}
              onLayout={() => {
                edit((t) => setPositions(t, autoLayout(graph)));
                requestAnimationFrame(() => void fitView({ padding: 0.2, maxZoom: 1, duration: 200 }));
              }}
            />
          ) : (
            <div className="canvas-loading" aria-busy="true" />
          )}
          {narrow && panel}
        </section>
        <div className="builder-side">
          {!narrow && panel && (
            <div className="side-tabs" role="tablist" aria-label="Side panel">
              <button type="button" role="tab" aria-selected={side === "step"} onClick={() => setSide("step")}>
                Step settings
              </button>
              <button type="button" role="tab" aria-selected={side === "yaml"} onClick={() => setSide("yaml")}>
                {isTs ? "Source" : "YAML"}
              </button>
            </div>
          )}
          {docked && panel}
          <section
            className={`builder-yaml nokey${docked ? " is-hidden" : ""}`}
            aria-label={isTs ? "TypeScript source" : "YAML"}
          >
            {isTs ? (
              // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling block must be reachable by keyboard
              <pre className="ts-source" tabIndex={0}>
                {text}
              </pre>
            ) : (
              <YamlPane
                text={text}
                onChange={(t) => history.set(t, "yaml")}
                syntaxProblems={syntaxProblems}
                validationProblems={validation.problems}
                readOnly={readOnly}
                selectedStep={step}
                onCursorStep={(id) => {
                  if (id && id !== selected) setSelected(id);
                }}
              />
            )}
          </section>
        </div>
      </div>
      {conflict && (
        <ConflictDialog
          mine={text}
          theirs={conflict.source}
          theirVersion={conflict.version}
          busy={busy !== null}
          onClose={() => setConflict(null)}
          onKeepMine={() => {
            const v = conflict.version;
            setConflict(null);
            void save(text, v);
          }}
          onTakeTheirs={() => {
            history.reset(conflict.source);
            setBaseline({ source: conflict.source, version: conflict.version });
            setConflict(null);
            setNotice({ kind: "ok", text: `Took version ${conflict.version}.` });
          }}
        />
      )}
    </div>
  );
}

/** /builder/new (no id) or /builder/:id. */
export function BuilderPage({ id }: { id?: string }) {
  const def = useQuery({
    queryKey: ["definition", id],
    queryFn: () => call(api.GET("/api/workflow-definitions/{id}", { params: { path: { id: id as string } } })),
    enabled: id !== undefined,
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (id !== undefined && def.isPending) return <div className="builder builder-loading" aria-busy="true" />;
  if (id !== undefined && def.error) return <ErrorView error={def.error} />;
  return (
    <ReactFlowProvider>
      <Builder key={id ?? "new"} def={id !== undefined ? (def.data ?? null) : null} />
    </ReactFlowProvider>
  );
}
