/**
 * The selected step's settings: the keys every step has (id, name, phase, if, foreach), then its type's
 * config fields generated from the type's config schema, then any other keys it has. Each change is one edit
 * of the YAML. Above the fields, the references the step's expressions may use — a click inserts one into the
 * text field last focused.
 */
import { Trash2, X } from "lucide-react";
import { useEffect, useId, useRef, useState } from "react";
import type { BuilderGraph, BuilderStep, JsonValue } from "./doc/types";
import { referencesFor } from "./references";
import { FieldLabel, SchemaField, type TextFocus, YamlBox } from "./SchemaField";
import { StepGlyph } from "./StepGlyph";
import { objectSchema, type StepTypeInfo } from "./step-types";

const ID_PATTERN = /^[A-Za-z][\w-]*$/;

export interface ConfigPanelProps {
  graph: BuilderGraph;
  step: BuilderStep;
  typeInfo: StepTypeInfo | undefined;
  readOnly: boolean;
  problems: string[];
  onField: (key: string, value: JsonValue | undefined, coalesce: string) => void;
  onRename: (to: string) => void;
  onDelete: () => void;
  onClose: () => void;
}

function IdField({
  step,
  graph,
  readOnly,
  onRename,
}: Pick<ConfigPanelProps, "step" | "graph" | "readOnly" | "onRename">) {
  const id = useId();
  const [draft, setDraft] = useState(step.id);
  useEffect(() => setDraft(step.id), [step.id]);
  const error =
    draft === step.id
      ? null
      : !ID_PATTERN.test(draft)
        ? "Letters, digits, _ and -, starting with a letter."
        : graph.steps.some((s) => s.id === draft)
          ? `Another step is called ${draft}.`
          : null;
  const commit = () => {
    if (draft !== step.id && !error) onRename(draft);
  };
  return (
    <div className="cfg-field">
      <FieldLabel id={id} name="id" required help="Other steps refer to it; renaming updates them." />
      <input
        id={id}
        className="input mono"
        value={draft}
        readOnly={readOnly}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit();
          if (e.key === "Escape") setDraft(step.id);
        }}
      />
      {error && (
        <span id={`${id}-error`} className="cfg-error">
          {error}
        </span>
      )}
    </div>
  );
}

function TextField({
  name,
  value,
  help,
  readOnly,
  onCommit,
  onTextFocus,
  list,
}: {
  name: string;
  value: string | undefined;
  help: string;
  readOnly: boolean;
  onCommit: (v: string | undefined) => void;
  onTextFocus?: TextFocus;
  list?: string | undefined;
}) {
  const id = useId();
  return (
    <div className="cfg-field">
      <FieldLabel id={id} name={name} help={help} />
      <input
        id={id}
        className={`input${onTextFocus ? " mono" : ""}`}
        value={value ?? ""}
        readOnly={readOnly}
        list={list}
        onFocus={(e) => onTextFocus?.(e.currentTarget, name)}
        onChange={(e) => onCommit(e.target.value === "" ? undefined : e.target.value)}
      />
    </div>
  );
}

export function ConfigPanel({
  graph,
  step,
  typeInfo,
  readOnly,
  problems,
  onField,
  onRename,
  onDelete,
  onClose,
}: ConfigPanelProps) {
  const focused = useRef<{ el: HTMLInputElement | HTMLTextAreaElement; key: string } | null>(null);
  const [target, setTarget] = useState<string | null>(null);
  const phasesId = useId();
  const onTextFocus: TextFocus = (el, key) => {
    focused.current = { el, key };
    setTarget(key);
  };
  // Another step selected: the remembered field belongs to the old one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the selection changes
  useEffect(() => {
    focused.current = null;
    setTarget(null);
  }, [step.id]);

  const refs = referencesFor(graph, step.id);
  const insert = (expr: string) => {
    const f = focused.current;
    if (!f || readOnly) return;
    // `if:` is an expression already; text fields take the reference in braces.
    const snippet = f.key === "if" ? expr : `{{ ${expr} }}`;
    const { el, key } = f;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? start;
    const next = el.value.slice(0, start) + snippet + el.value.slice(end);
    onField(key, next, `field:${step.id}:${key}`);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(start + snippet.length, start + snippet.length);
    });
  };

  const { properties, required } = objectSchema(typeInfo?.config_schema);
  const schemaKeys = Object.keys(properties);
  const others = Object.keys(step.config).filter((k) => !(k in properties));
  const field = (key: string) => (v: JsonValue | undefined) => onField(key, v, `field:${step.id}:${key}`);

  return (
    <aside className="cfg" aria-label={`Settings of step ${step.id}`}>
      <header className="cfg-head">
        <span className={`bnode-icon palette-icon-${step.type}`}>
          <StepGlyph type={step.nodeType ?? step.type} size={17} />
        </span>
        <div className="cfg-title">
          <h2>{step.name ?? step.id}</h2>
          <span className="muted">
            {typeInfo?.title ?? step.type}
            {step.nodeType ? ` · ${step.nodeType}` : ""}
            {step.typeWritten ? "" : " (inferred)"}
          </span>
        </div>
        {!readOnly && (
          <button
            type="button"
            className="icon-btn"
            aria-label={`Delete step ${step.id}`}
            title="Delete step"
            onClick={onDelete}
          >
            <Trash2 size={16} aria-hidden="true" />
          </button>
        )}
        <button type="button" className="icon-btn" aria-label="Close settings" onClick={onClose}>
          <X size={16} aria-hidden="true" />
        </button>
      </header>
      <div className="cfg-scroll">
        {problems.length > 0 && (
          <ul className="cfg-problems" aria-label="Problems">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        {typeInfo?.description && <p className="cfg-desc">{typeInfo.description}</p>}
        {refs.length > 0 && !readOnly && (
          <section className="cfg-refs" aria-label="References">
            <h3>References</h3>
            <p className="muted">
              {target ? (
                <>
                  Click to insert into <code>{target}</code>.
                </>
              ) : (
                "Focus a text field, then click to insert."
              )}
            </p>
            <div className="cfg-ref-list">
              {refs.map((r) => (
                <button
                  key={r.expr}
                  type="button"
                  className={`cfg-ref cfg-ref-${r.kind}`}
                  disabled={!target}
                  // Keep the focus (and the caret) in the field being edited.
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => insert(r.expr)}
                >
                  {`{{ ${r.expr} }}`}
                </button>
              ))}
            </div>
          </section>
        )}
        <section className="cfg-section" aria-label="Step">
          <h3>Step</h3>
          <IdField step={step} graph={graph} readOnly={readOnly} onRename={onRename} />
          <TextField
            name="name"
            value={step.name}
            help="Shown on the canvas and the run page."
            readOnly={readOnly}
            onCommit={field("name")}
          />
          <TextField
            name="phase"
            value={step.phase}
            help={graph.phases.length ? `One of: ${graph.phases.join(", ")}.` : "Groups steps on the run page."}
            readOnly={readOnly}
            onCommit={field("phase")}
            list={phasesId}
          />
          <datalist id={phasesId}>
            {graph.phases.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
          <TextField
            name="if"
            value={step.if}
            help="Runs only when this expression is true, e.g. args.env == 'prod'."
            readOnly={readOnly}
            onCommit={field("if")}
            onTextFocus={onTextFocus}
          />
          <TextField
            name="foreach"
            value={step.foreach}
            help="Runs once per item of this list; {{ item }} is the current one."
            readOnly={readOnly}
            onCommit={field("foreach")}
            onTextFocus={onTextFocus}
          />
        </section>
        {schemaKeys.length > 0 && (
          <section className="cfg-section" aria-label="Configuration">
            <h3>{typeInfo?.title ?? step.type} configuration</h3>
            {schemaKeys.map((k) => (
              <SchemaField
                key={`${step.id}:${k}`}
                name={k}
                schema={properties[k] ?? {}}
                required={required.has(k)}
                value={step.config[k]}
                readOnly={readOnly}
                onCommit={field(k)}
                onTextFocus={onTextFocus}
              />
            ))}
          </section>
        )}
        {others.length > 0 && (
          <section className="cfg-section" aria-label="Other keys">
            <h3>Other keys</h3>
            {others.map((k) => (
              <div className="cfg-field" key={`${step.id}:${k}`}>
                <FieldLabel id={`other-${step.id}-${k}`} name={k} />
                <YamlBox id={`other-${step.id}-${k}`} value={step.config[k]} onCommit={field(k)} readOnly={readOnly} />
              </div>
            ))}
          </section>
        )}
      </div>
    </aside>
  );
}
