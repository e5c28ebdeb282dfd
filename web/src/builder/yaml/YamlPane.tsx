/**
 * The builder's YAML pane: CodeMirror 6 on the workflow's text. The text is controlled (`text` in,
 * `onChange` out); a change made elsewhere (the canvas) reaches the editor as the smallest replacement, so the
 * cursor, the scroll position and the undo history stay. Syntax and validation problems are lint diagnostics
 * (gutter marks at their line:column); the selected node's step is highlighted and scrolled to; moving the
 * cursor into another step reports it; `{{ args.… }}` / `{{ steps.<id>.output }}` references complete.
 */
import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import {
  Annotation,
  Compartment,
  EditorState,
  RangeSetBuilder,
  StateEffect,
  StateField,
  Transaction,
} from "@codemirror/state";
import {
  Decoration,
  type DecorationSet,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { useEffect, useRef } from "react";
import { readGraph, stepAt } from "../doc/index.js";
import type { BuilderGraph, YamlPaneProps } from "../doc/types.js";
import { minimalChange, problemRange, referenceCompletions } from "./text-sync.js";
import "./YamlPane.css";

/** Marks transactions that bring `text` from outside: they are not reported back through onChange. */
const external = Annotation.define<boolean>();

/** The highlighted step: a range of whole lines. */
const setHighlight = StateEffect.define<{ from: number; to: number } | null>();
const highlightField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let out = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setHighlight)) continue;
      if (!e.value) {
        out = Decoration.none;
        continue;
      }
      const builder = new RangeSetBuilder<Decoration>();
      const doc = tr.state.doc;
      const first = doc.lineAt(Math.min(e.value.from, doc.length));
      const last = doc.lineAt(Math.min(e.value.to, doc.length));
      for (let n = first.number; n <= last.number; n++) {
        const line = doc.line(n);
        builder.add(line.from, line.from, stepLine);
      }
      out = builder.finish();
    }
    return out;
  },
  provide: (f) => EditorView.decorations.from(f),
});
const stepLine = Decoration.line({ class: "cm-step-selected" });

/** Colours from the design tokens (a CodeMirror theme outranks its base theme, which plain CSS may not). */
const theme = EditorView.theme({
  "&": { backgroundColor: "var(--surface)", color: "var(--text)", fontSize: "12.5px" },
  "&.cm-focused": { outline: "2px solid var(--focus)", outlineOffset: "-2px" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.55" },
  ".cm-gutters": {
    backgroundColor: "var(--surface-2)",
    color: "var(--text-2)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine": { backgroundColor: "rgb(79 70 229 / 5%)" },
  ".cm-activeLineGutter": { backgroundColor: "rgb(79 70 229 / 10%)", color: "var(--text)" },
  ".cm-step-selected": { backgroundColor: "rgb(79 70 229 / 9%)", boxShadow: "inset 3px 0 0 var(--accent)" },
  ".cm-step-selected.cm-activeLine": { backgroundColor: "rgb(79 70 229 / 14%)" },
  ".cm-tooltip": {
    border: "1px solid var(--border)",
    borderRadius: "6px",
    boxShadow: "var(--shadow)",
    backgroundColor: "var(--surface)",
    fontFamily: "var(--font)",
  },
  ".cm-tooltip-lint": { maxWidth: "420px" },
  ".cm-diagnostic": { padding: "6px 10px" },
});

/** The graph of the editor's current text (the last one that parsed), for completions and the cursor's step. */
function graphCache() {
  let text: string | undefined;
  let graph: BuilderGraph | undefined;
  return (doc: string): BuilderGraph | undefined => {
    if (doc !== text) {
      const r = readGraph(doc);
      text = doc;
      if (r.ok) graph = r.graph;
    }
    return graph;
  };
}

export function YamlPane(props: YamlPaneProps) {
  const { text, syntaxProblems, validationProblems, readOnly = false, selectedStep } = props;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const readOnlyConf = useRef(new Compartment());
  const graphOf = useRef(graphCache());
  const cursorStep = useRef<string | undefined>(undefined);
  /** Texts reported through onChange that `text` has not come back with yet. */
  const sent = useRef<string[]>([]);

  // Create the editor once; props reach it through the effects below.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is created once, with the first text
  useEffect(() => {
    if (!host.current) return;
    const complete = (ctx: CompletionContext): CompletionResult | null => {
      const line = ctx.state.doc.lineAt(ctx.pos);
      const before = line.text.slice(0, ctx.pos - line.from);
      const doc = ctx.state.doc.toString();
      const graph = graphOf.current(doc);
      if (!graph) return null;
      const found = referenceCompletions(before, graph, stepAt(graph, line.number, ctx.pos - line.from + 1));
      if (!found || (found.from === before.length && !ctx.explicit && !/[.{\s]$/.test(before))) return null;
      return {
        from: line.from + found.from,
        options: found.options.map((o) => ({ label: o.label, detail: o.detail, type: "variable" })),
        validFor: /^[A-Za-z0-9_-]*$/,
      };
    };
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: text,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          foldGutter(),
          lintGutter(),
          history(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          yaml(),
          autocompletion({ override: [complete], activateOnTyping: true }),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          highlightField,
          readOnlyConf.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          // tabindex: the text stays reachable by keyboard (and scrollable) when it is read-only.
          EditorView.contentAttributes.of({ "aria-label": "Workflow YAML", tabindex: "0" }),
          theme,
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !u.transactions.some((t) => t.annotation(external))) {
              const doc = u.state.doc.toString();
              sent.current.push(doc);
              if (sent.current.length > 50) sent.current.shift();
              latest.current.onChange(doc);
            }
            if (u.selectionSet || u.docChanged) reportCursor(u.view);
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  function reportCursor(v: EditorView): void {
    const onCursorStep = latest.current.onCursorStep;
    if (!onCursorStep || !v.hasFocus) return;
    const graph = graphOf.current(v.state.doc.toString());
    if (!graph) return;
    const head = v.state.selection.main.head;
    const line = v.state.doc.lineAt(head);
    const id = stepAt(graph, line.number, head - line.from + 1);
    if (id === cursorStep.current) return;
    cursorStep.current = id;
    onCursorStep(id);
  }

  // `text` from outside: the smallest change, so the cursor stays where it was. A text this editor reported
  // itself (the page catching up with typing, perhaps a keystroke behind) is not a change from outside. Changes
  // from outside stay out of the editor's undo history: the page has its own undo for them.
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const echo = sent.current.lastIndexOf(text);
    if (echo >= 0) {
      sent.current.splice(0, echo + 1);
      return;
    }
    sent.current = [];
    const change = minimalChange(v.state.doc.toString(), text);
    if (change) {
      v.dispatch({ changes: change, annotations: [external.of(true), Transaction.addToHistory.of(false)] });
    }
  }, [text]);

  useEffect(() => {
    view.current?.dispatch({
      effects: readOnlyConf.current.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
    });
  }, [readOnly]);

  // Problems as diagnostics (after `text` reached the editor: effects run in order).
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc.toString();
    const clamp = (n: number) => Math.max(0, Math.min(n, doc.length));
    const diagnostics: Diagnostic[] = [
      ...syntaxProblems.map((p) => ({
        from: clamp(p.start),
        to: clamp(Math.max(p.end, p.start)),
        severity: "error" as const,
        source: "YAML",
        message: p.message,
      })),
      ...validationProblems.map((p) => {
        const r = problemRange(doc, p.line, p.column);
        return {
          from: r.from,
          to: r.to,
          severity: p.severity,
          source: p.code,
          message: p.hint ? `${p.message} — ${p.hint}` : p.message,
        };
      }),
    ];
    v.dispatch(setDiagnostics(v.state, diagnostics));
  }, [syntaxProblems, validationProblems]);

  // The selected node's step: highlighted (following its span as the text changes), and scrolled to when the
  // selection changes — unless the cursor is already in it (the selection came from the editor).
  const spanStart = selectedStep?.span.start;
  const spanEnd = selectedStep?.span.end;
  const selectedId = selectedStep?.id;
  const scrolledTo = useRef<string | undefined>(undefined);
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    if (spanStart === undefined || spanEnd === undefined) {
      scrolledTo.current = undefined;
      v.dispatch({ effects: setHighlight.of(null) });
      return;
    }
    const from = Math.min(spanStart, v.state.doc.length);
    const to = Math.min(spanEnd, v.state.doc.length);
    const head = v.state.selection.main.head;
    const scroll = scrolledTo.current !== selectedId && !(v.hasFocus && head >= from && head <= to);
    scrolledTo.current = selectedId;
    v.dispatch({
      effects: [
        setHighlight.of({ from, to }),
        ...(scroll ? [EditorView.scrollIntoView(from, { y: "start", yMargin: 24 })] : []),
      ],
    });
  }, [spanStart, spanEnd, selectedId]);

  return <div className="yaml-pane" ref={host} data-readonly={readOnly || undefined} />;
}
