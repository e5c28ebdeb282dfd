/**
 * The launch form (/templates/:id/launch): the template's arguments as a form generated from its args schema
 * (schema-form.ts), plus the run's name, priority and budget. Launch → the new run's page. The client checks
 * required fields and types; the server's 422 `WEFT_ARGS` issues come back on their fields (or above the
 * buttons when they name no field).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ChevronLeft, FileCode2, Rocket, Sparkles } from "lucide-react";
import { type FormEvent, type InputHTMLAttributes, useEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { messageOf, WeftApiError } from "../../api/client";
import { useCan, useSession } from "../../api/session";
import { ACTIVE_RUNS_KEY } from "../../components/ActivePanel";
import { ErrorView } from "../../components/ErrorView";
import { formatDuration } from "../run/types";
import { ArgField } from "./ArgField";
import { type Definition, formatRate, keys, type LaunchBody, launch, launchProjectOf, read } from "./queries";
import { Switch } from "./Switch";
import {
  argIssuesOf,
  collectArgs,
  type FieldValue,
  type FormValues,
  fieldsOf,
  initialValues,
  issuesByField,
  withExample,
} from "./schema-form";
import { CategoryBadge, TsBadge } from "./TemplateCard";
import "../GalleryPage.css";
import "./preview.css";
import "./launch.css";

export function LaunchPage({ id }: { id: string }) {
  const def = useQuery({ queryKey: keys.definition(id), queryFn: () => read.definition(id) });
  return (
    <div className="launch-page">
      <nav className="launch-crumbs" aria-label="Breadcrumb">
        <Link href="/templates">
          <ChevronLeft size={15} aria-hidden="true" /> Templates
        </Link>
      </nav>
      {def.error ? (
        <ErrorView error={def.error} retry={() => void def.refetch()} />
      ) : !def.data ? (
        <div className="launch-loading" aria-busy="true">
          <span className="sk sk-title" />
          <span className="sk sk-graph" />
        </div>
      ) : (
        <LaunchForm def={def.data} />
      )}
    </div>
  );
}

interface Options {
  name: string;
  priority: string;
  tokens: string;
  cost: string;
}

/** The run options' values, or their errors (by input id). */
function collectOptions(o: Options): { body: Partial<LaunchBody>; errors: Record<string, string> } {
  const body: Partial<LaunchBody> = {};
  const errors: Record<string, string> = {};
  if (o.name.trim()) body.name = o.name.trim();
  if (o.priority.trim()) {
    const n = Number(o.priority);
    if (Number.isInteger(n)) body.priority = n;
    else errors["run-priority"] = "Enter a whole number";
  }
  const budget: NonNullable<LaunchBody["budget"]> = {};
  if (o.tokens.trim()) {
    const n = Number(o.tokens);
    if (Number.isInteger(n) && n > 0) budget.tokens = n;
    else errors["run-tokens"] = "Enter a whole number of tokens above 0";
  }
  if (o.cost.trim()) {
    const n = Number(o.cost);
    if (Number.isFinite(n) && n > 0) budget.cost_usd = n;
    else errors["run-cost"] = "Enter an amount in US dollars above 0";
  }
  if (Object.keys(budget).length > 0) body.budget = budget;
  return { body, errors };
}

function LaunchForm({ def }: { def: Definition }) {
  const [, navigate] = useLocation();
  const qc = useQueryClient();
  const session = useSession();
  const can = useCan();
  const fields = useMemo(() => fieldsOf(def.args_schema), [def.args_schema]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [options, setOptions] = useState<Options>({ name: "", priority: "", tokens: "", cost: "" });
  const [testRun, setTestRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const [focusFirstError, setFocusFirstError] = useState(0);
  const project = launchProjectOf(def, session.data?.scopes);
  const mayLaunch = can(project, "operate");
  // "Fill with example" only when the example says something the defaults do not.
  const example = useMemo(() => {
    const ex = def.example_args;
    if (!ex || Object.keys(ex).length === 0) return null;
    const initial = initialValues(fields);
    const same =
      JSON.stringify(collectArgs(fields, withExample(fields, initial, ex)).args) ===
      JSON.stringify(collectArgs(fields, initial).args);
    return same ? null : ex;
  }, [def.example_args, fields]);

  // After a refused submit: focus the first field with an error (or the form's message).
  useEffect(() => {
    if (focusFirstError === 0) return;
    const el = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .launch-form-error');
    el?.focus();
  }, [focusFirstError]);

  const set = (name: string, v: FieldValue) => {
    setValues((prev) => ({ ...prev, [name]: v }));
    if (errors[name]) setErrors(({ [name]: _, ...rest }) => rest);
  };
  const setOption = (k: keyof Options, id: string, v: string) => {
    setOptions((o) => ({ ...o, [k]: v }));
    if (errors[id]) setErrors(({ [id]: _, ...rest }) => rest);
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormErrors([]);
    const { args, errors: argErrors } = collectArgs(fields, values);
    const { body: opts, errors: optErrors } = collectOptions(options);
    const found = { ...argErrors, ...optErrors };
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setFocusFirstError((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      const run = await launch({
        workflow_definition_id: def.id,
        project_id: project,
        args,
        triggered_by: "web",
        ...(testRun ? { test_run: true } : {}),
        ...opts,
      });
      void qc.invalidateQueries({ queryKey: ACTIVE_RUNS_KEY });
      void qc.invalidateQueries({ queryKey: ["workflow-definitions"] });
      void qc.invalidateQueries({ queryKey: keys.definition(def.id) });
      navigate(`/runs/${run.id}`);
    } catch (err) {
      setBusy(false);
      const issues = err instanceof WeftApiError && err.status === 422 ? argIssuesOf(err.body) : [];
      if (issues.length > 0) {
        const { byField, form } = issuesByField(fields, issues);
        setErrors(byField);
        setFormErrors(form);
      } else {
        setFormErrors([messageOf(err)]);
      }
      setFocusFirstError((n) => n + 1);
    }
  }

  return (
    <>
      <header className="launch-head">
        <div className="preview-badges">
          <CategoryBadge category={def.category} />
          {def.format === "ts" && <TsBadge />}
        </div>
        <h1>Launch {def.name}</h1>
        {def.description && <p className="launch-desc">{def.description}</p>}
      </header>
      <div className="launch-grid">
        <form
          className="launch-form card"
          noValidate
          onSubmit={(e) => void submit(e)}
          ref={formRef}
          aria-label="Launch"
        >
          <section className="launch-section" aria-labelledby="launch-args">
            <div className="launch-section-head">
              <h2 id="launch-args">Arguments</h2>
              {example && fields.length > 0 && (
                <button
                  type="button"
                  className="btn btn-sm"
                  onClick={() => {
                    setValues((v) => withExample(fields, v, example));
                    setErrors({});
                  }}
                >
                  <Sparkles size={13} aria-hidden="true" /> Fill with example
                </button>
              )}
            </div>
            {fields.length === 0 ? (
              <p className="muted">This workflow takes no arguments.</p>
            ) : (
              <div className="arg-fields">
                {fields.map((f) => (
                  <ArgField
                    key={f.name}
                    field={f}
                    value={values[f.name] ?? ""}
                    error={errors[f.name]}
                    onChange={(v) => set(f.name, v)}
                    projectId={project}
                  />
                ))}
              </div>
            )}
          </section>

          <section className="launch-section" aria-labelledby="launch-options">
            <div className="launch-section-head">
              <h2 id="launch-options">Run options</h2>
              <span className="muted">all optional</span>
            </div>
            <div className="option-grid">
              <OptionField
                id="run-name"
                label="Run name"
                wide
                value={options.name}
                error={errors["run-name"]}
                onChange={(v) => setOption("name", "run-name", v)}
                input={{ placeholder: def.name }}
              />
              <OptionField
                id="run-priority"
                label="Priority"
                help="Higher-priority runs' steps start first."
                value={options.priority}
                error={errors["run-priority"]}
                onChange={(v) => setOption("priority", "run-priority", v)}
                input={{ type: "number", step: 1, placeholder: "0" }}
              />
              <OptionField
                id="run-tokens"
                label="Token budget"
                value={options.tokens}
                error={errors["run-tokens"]}
                onChange={(v) => setOption("tokens", "run-tokens", v)}
                input={{ type: "number", min: 1, step: 1000, placeholder: "No limit" }}
              />
              <OptionField
                id="run-cost"
                label="Cost budget (USD)"
                value={options.cost}
                error={errors["run-cost"]}
                onChange={(v) => setOption("cost", "run-cost", v)}
                input={{ type: "number", min: 0, step: 0.5, placeholder: "No limit" }}
              />
              <div className="arg-field option-wide">
                <span className="arg-label" id="run-test-label">
                  Test run
                </span>
                <Switch on={testRun} onChange={setTestRun} labelledBy="run-test-label" describedBy="run-test-help" />
                <p className="arg-help" id="run-test-help">
                  Every agent call is answered by the offline mock provider: try the workflow without spending tokens.
                  Scripts still run.
                </p>
              </div>
            </div>
          </section>

          {formErrors.length > 0 && (
            <div className="launch-form-error" role="alert" tabIndex={-1}>
              {formErrors.map((m) => (
                <p key={m}>{m}</p>
              ))}
            </div>
          )}
          <footer className="launch-foot">
            <span className="muted launch-project">
              Runs in project <strong>{project}</strong>
            </span>
            <Link href={`/templates?preview=${def.id}`} className="btn">
              Cancel
            </Link>
            <button
              type="submit"
              className="btn btn-primary"
              disabled={busy || !mayLaunch}
              title={mayLaunch ? undefined : "Launching needs the operate role"}
            >
              <Rocket size={15} aria-hidden="true" /> {busy ? "Launching…" : "Launch run"}
            </button>
          </footer>
        </form>
        <LaunchAside def={def} />
      </div>
    </>
  );
}

/** A run option: label, input, help text and error, wired like an argument's. */
function OptionField(props: {
  id: string;
  label: string;
  help?: string;
  wide?: boolean;
  value: string;
  error: string | undefined;
  onChange: (v: string) => void;
  input: InputHTMLAttributes<HTMLInputElement>;
}) {
  const { id, error } = props;
  const described = [props.help ? `${id}-help` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div className={`arg-field${props.wide ? " option-wide" : ""}`}>
      <label className="arg-label" htmlFor={id}>
        {props.label}
      </label>
      <input
        {...props.input}
        id={id}
        className="input"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
      />
      {props.help && (
        <p className="arg-help" id={`${id}-help`}>
          {props.help}
        </p>
      )}
      {error && (
        <p className="arg-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

function LaunchAside({ def }: { def: Definition }) {
  return (
    <aside className="launch-aside card" aria-label="About this template">
      <h2>About this template</h2>
      <dl className="aside-stats">
        <div>
          <dt>Steps</dt>
          <dd>{def.step_count}</dd>
        </div>
        <div>
          <dt>Runs</dt>
          <dd>{def.times_used.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Success</dt>
          <dd>{formatRate(def.success_rate)}</dd>
        </div>
        <div>
          <dt>Avg duration</dt>
          <dd>{formatDuration(def.average_duration_ms)}</dd>
        </div>
      </dl>
      {def.phases.length > 0 && (
        <>
          <h3>Phases</h3>
          <ol className="aside-phases">
            {def.phases.map((p) => (
              <li key={p}>
                <span>{p}</span>
                <span className="muted">{def.steps.filter((s) => s.phase === p).length}</span>
              </li>
            ))}
          </ol>
        </>
      )}
      {def.format === "ts" && (
        <p className="preview-note">
          <FileCode2 size={14} aria-hidden="true" /> A TypeScript workflow: its arguments come from its zod schema.
        </p>
      )}
    </aside>
  );
}
