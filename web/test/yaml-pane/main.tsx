/**
 * A test page for the YAML pane alone (test/ui/yaml-pane.test.ts builds it with the web app's Vite config and
 * serves it with the UI's security headers): the pane, controlled by this page's state the way the builder
 * controls it, and controls that play the canvas — an edit from outside, a selected node, a validation problem.
 */
import { StrictMode, useMemo, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import "../../src/styles.css";
import { addStep, type BuilderGraph, readGraph, type ValidationProblem } from "../../src/builder/doc";
import { YamlPane } from "../../src/builder/yaml/YamlPane";

const START = `# A workflow to edit
name: demo
argsSchema:
  type: object
  properties:
    topic: { type: string }
steps:
  - id: research
    agent: researcher
    prompt: "Collect facts about {{ args.topic }}"

  - id: write
    needs: research
    agent: writer
    prompt: "Write it up: {{ steps.research.output }}"
${Array.from({ length: 12 }, (_, i) => `\n  - id: filler-${i + 1}\n    needs: write\n    command: echo ${i + 1}\n`).join("")}`;

function Harness() {
  const [text, setText] = useState(START);
  const [readOnly, setReadOnly] = useState(new URLSearchParams(location.search).has("readonly"));
  const [selected, setSelected] = useState("");
  const [cursor, setCursor] = useState("(none)");
  const [changes, setChanges] = useState(0);
  const [problems, setProblems] = useState<ValidationProblem[]>([]);
  const last = useRef<BuilderGraph | undefined>(undefined);
  const read = useMemo(() => readGraph(text), [text]);
  if (read.ok) last.current = read.graph;
  const graph = last.current;
  const step = graph?.steps.find((s) => s.id === selected);
  return (
    <main style={{ padding: 16, display: "grid", gap: 12 }}>
      <h1>YAML pane</h1>
      <div style={{ display: "flex", gap: 8, flexWrap: "wrap", alignItems: "center" }}>
        <button
          type="button"
          className="btn btn-sm"
          onClick={() => setText((t) => addStep(t, { id: `added-${t.length}`, type: "noop" }))}
        >
          Add a step from outside
        </button>
        <button
          type="button"
          className="btn btn-sm"
          onClick={() =>
            setProblems([
              {
                code: "WEFT_UNKNOWN_REF",
                severity: "error",
                message: "step `write` needs `nope`, but no step has that id",
                hint: "steps are: research, write",
                line: 13,
                column: 12,
              },
            ])
          }
        >
          Show a validation problem
        </button>
        <label>
          <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} /> Read-only
        </label>
        <label>
          Selected node{" "}
          <select className="select" value={selected} onChange={(e) => setSelected(e.target.value)}>
            <option value="">none</option>
            {graph?.steps.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div style={{ height: 420 }}>
        <YamlPane
          text={text}
          onChange={(t) => {
            setText(t);
            setChanges((n) => n + 1);
          }}
          syntaxProblems={read.ok ? [] : read.problems}
          validationProblems={problems}
          readOnly={readOnly}
          selectedStep={step}
          onCursorStep={(id) => setCursor(id ?? "(none)")}
        />
      </div>
      <p>
        Cursor step: <output aria-label="Cursor step">{cursor}</output> · Steps:{" "}
        <output aria-label="Steps">{graph?.steps.map((s) => s.id).join(" ")}</output> · Changes reported:{" "}
        <output aria-label="Changes">{changes}</output> · Syntax:{" "}
        <output aria-label="Syntax">{read.ok ? "ok" : read.problems[0]?.message}</output>
      </p>
    </main>
  );
}

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <Harness />
  </StrictMode>,
);
