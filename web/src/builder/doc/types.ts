/**
 * The builder's model of a workflow: the YAML text is the only state. The canvas, the config panel and the YAML
 * pane all read a `BuilderGraph` derived from the text, and every edit is a function from text to text that
 * changes only what it must (the `yaml` package's Document API: comments, key order and formatting outside the
 * edited nodes are kept). Undo/redo is a stack of texts.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How a dependency edge fires: the target starts once `from` ended with this outcome. */
export type EdgeOn = "success" | "failure" | "always";

/** Where something is in the text: 1-based line and column, and the character range [start, end). */
export interface TextSpan {
  line: number;
  column: number;
  start: number;
  end: number;
  /** Where the span ends (1-based), for `stepAt`. */
  endLine: number;
  endColumn: number;
}

export interface BuilderStep {
  /** The step's id as written (`id:` or seed 003's `key:`; seed 000's node `id`). */
  id: string;
  /** The step type as written, or inferred from its keys with the server's inference table (see StepTypeInfo). */
  type: string;
  /** True when `type:` is written; false when inferred (a `command:` makes a script, …). */
  typeWritten: boolean;
  /** A seed 000 node type (`generate_copy`, `review`, …) when the step is written in that dialect. */
  nodeType?: string;
  name?: string;
  phase?: string;
  /** `if:` / `condition:`. */
  if?: string;
  foreach?: string;
  /** Every key of the step that is not a common step key: what the type's config schema checks. */
  config: Record<string, JsonValue>;
  /** The whole step mapping as written (for the config panel's "other keys"). */
  raw: Record<string, JsonValue>;
  /** The step's mapping in the text (for gutter problems → node, and selecting a node from the editor). */
  span: TextSpan;
}

export interface BuilderEdge {
  from: string;
  to: string;
  on: EdgeOn;
  /**
   * Not written: the workflow runs in file order (no step declares dependencies, or `mode: sequential`), so
   * each step follows the one above it. Editing such an edge first writes the file order out as `needs`.
   */
  implicit?: boolean;
  /** Seed 000: the edge's `sourceHandle` (`"true"` / `"false"` from a conditional). */
  handle?: string;
}

export interface Position {
  x: number;
  y: number;
}

/**
 * What `GET /api/step-types` says about step types, as far as reading a document needs it: which keys make a
 * step a type when `type:` is absent (tried in this order), and what seed 000's node types map to.
 */
export interface StepTypeTable {
  types: { type: string; inferred_from?: string[] | undefined }[];
  node_types?: { name: string; type: string }[] | undefined;
}

/** Which dialect the text is written in (the same names the server uses in `source.dialect`). */
export type DocDialect = "canonical" | "seed-000" | "seed-001" | "seed-002" | "seed-003";

export interface BuilderGraph {
  name: string;
  description?: string;
  dialect: DocDialect;
  phases: string[];
  /** Argument names from `argsSchema.properties` (for `{{ args.… }}` hints). */
  args: string[];
  steps: BuilderStep[];
  edges: BuilderEdge[];
  /** From the `ui: { positions: { <step id>: { x, y } } }` block (seed 000: each node's `position`). */
  positions: Record<string, Position>;
}

/** A YAML syntax error (the canvas keeps the last valid graph meanwhile). */
export interface SyntaxProblem {
  message: string;
  line: number;
  column: number;
  start: number;
  end: number;
}

export type ReadResult = { ok: true; graph: BuilderGraph } | { ok: false; problems: SyntaxProblem[] };

/** A problem from `POST /api/workflow-definitions/validate`, placed in the editor gutter and on its node. */
export interface ValidationProblem {
  code: string;
  severity: "error" | "warning";
  message: string;
  hint?: string | undefined;
  line: number;
  column: number;
  /** The step whose span holds line:column, if any. */
  stepId?: string | undefined;
}

/** A step as the palette adds it. */
export interface NewStep {
  id: string;
  /** A weft step type, written as `type:`. */
  type: string;
  /** Seed 000's node type (`generate_copy`, …): written as `node_type:` in a seed 000 document instead of `type`. */
  nodeType?: string;
  name?: string;
  config?: Record<string, JsonValue>;
}

/*
 * The edits, each `(text, …) → text`, implemented in web/src/builder/doc/ (the `model` slice):
 *
 *   readGraph(text, table?: StepTypeTable): ReadResult                   — without a table, an untyped step's type is ""
 *   addStep(text, step: NewStep, position?: Position): string            — appends to the steps (or nodes) list
 *   removeStep(text, id): string                                         — and every edge to or from it
 *   renameStep(text, from, to): string                                   — and every reference in needs/edges
 *   connect(text, from, to, on: EdgeOn): string                          — adds `to`'s dependency on `from`
 *   disconnect(text, from, to): string
 *   setEdgeOn(text, from, to, on: EdgeOn): string
 *   setStepField(text, id, key, value: JsonValue | undefined): string    — undefined deletes the key
 *   setPositions(text, positions: Record<string, Position>): string      — the `ui:` block (seed 000: `position`)
 *   stepAt(graph, line, column): string | undefined                      — the step whose span holds a position
 */

/** Props of the YAML pane (CodeMirror 6, `model` slice) that the builder page (`canvas` slice) renders. */
export interface YamlPaneProps {
  text: string;
  /** Called with the new text after a user edit (not after `text` changed from outside). */
  onChange: (text: string) => void;
  syntaxProblems: SyntaxProblem[];
  validationProblems: ValidationProblem[];
  readOnly?: boolean;
  /** Scroll to and highlight this step's span (a node selected on the canvas). */
  selectedStep?: BuilderStep | undefined;
  /** The cursor entered a step's span (select the node on the canvas). */
  onCursorStep?: (stepId: string | undefined) => void;
}
