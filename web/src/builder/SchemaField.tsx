/**
 * One config field, generated from its JSON Schema (the engine's zod schema, converted by the server): a
 * select for an enum, a checkbox for a boolean, a number input (with its bounds) for a number, a text input —
 * a text area for prompt-like fields — for a string, and a small YAML box for objects, arrays and unions.
 */
import { type FocusEvent, useEffect, useId, useState } from "react";
import { parse, stringify } from "yaml";
import type { JsonValue } from "./doc/types";
import type { JsonSchema } from "./step-types";

const LONG_TEXT = /prompt|system|instructions|message|template|command|script|description|body|text|content/i;

export type TextFocus = (el: HTMLInputElement | HTMLTextAreaElement, key: string) => void;

type Kind = "enum" | "boolean" | "number" | "string" | "scalar" | "yaml";

function kindOf(schema: JsonSchema): Kind {
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const plain = union.filter((u) => u.type !== "null");
    if (plain.length === 1 && plain[0]) return kindOf(plain[0]);
    if (plain.every((u) => u.const !== undefined)) return "enum";
    // A duration (`"5m"` or 300000) and the like: one text field, numbers written as numbers.
    if (plain.every((u) => ["string", "number", "integer"].includes(String(u.type)) && !u.enum)) return "scalar";
    return "yaml";
  }
  if (schema.enum) return "enum";
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== "null") : schema.type;
  if (t === "boolean") return "boolean";
  if (t === "number" || t === "integer") return "number";
  if (t === "string") return "string";
  return "yaml";
}

function enumValues(schema: JsonSchema): JsonValue[] {
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const plain = union.filter((u) => u.type !== "null");
    if (plain.length === 1 && plain[0]) return enumValues(plain[0]);
    return plain.map((u) => u.const as JsonValue);
  }
  return schema.enum ?? [];
}

function numberBounds(schema: JsonSchema): { min?: number; max?: number; step?: number } {
  const union = schema.anyOf ?? schema.oneOf;
  const s = union?.find((u) => u.type === "number" || u.type === "integer") ?? schema;
  return {
    ...(s.minimum !== undefined ? { min: s.minimum } : {}),
    ...(s.maximum !== undefined ? { max: s.maximum } : {}),
    step: s.type === "integer" ? 1 : 0.1,
  };
}

export function FieldLabel({
  id,
  name,
  required,
  help,
}: {
  id: string;
  name: string;
  required?: boolean;
  help?: string | undefined;
}) {
  return (
    <label htmlFor={id} className="cfg-label">
      <span className="mono">{name}</span>
      {required && <span className="cfg-required">required</span>}
      {help && <span className="cfg-help">{help}</span>}
    </label>
  );
}

/** A YAML (or JSON) box: edited freely, written back when it parses. */
export function YamlBox({
  id,
  value,
  onCommit,
  readOnly,
  label,
}: {
  id: string;
  value: JsonValue | undefined;
  onCommit: (v: JsonValue | undefined) => void;
  readOnly: boolean;
  label?: string;
}) {
  const shown = value === undefined ? "" : stringify(value, { lineWidth: 0 }).trimEnd();
  const [draft, setDraft] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) setDraft(shown);
  }, [shown, focused]);
  const commit = () => {
    setFocused(false);
    if (draft === shown) return;
    if (draft.trim() === "") {
      setError(null);
      onCommit(undefined);
      return;
    }
    try {
      onCommit(parse(draft) as JsonValue);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? (err.message.split("\n")[0] ?? "Not valid YAML") : "Not valid YAML");
    }
  };
  return (
    <>
      <textarea
        id={id}
        className="textarea mono cfg-yaml"
        rows={Math.min(8, Math.max(2, draft.split("\n").length))}
        value={draft}
        readOnly={readOnly}
        spellCheck={false}
        aria-label={label}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onFocus={() => setFocused(true)}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
      />
      {error && (
        <span id={`${id}-error`} className="cfg-error">
          {error}
        </span>
      )}
    </>
  );
}

function NumberInput({
  id,
  value,
  bounds,
  onCommit,
  readOnly,
}: {
  id: string;
  value: JsonValue | undefined;
  bounds: { min?: number; max?: number; step?: number };
  onCommit: (v: JsonValue | undefined) => void;
  readOnly: boolean;
}) {
  const shown = typeof value === "number" ? String(value) : "";
  const [draft, setDraft] = useState(shown);
  useEffect(() => setDraft(shown), [shown]);
  return (
    <input
      id={id}
      className="input"
      type="number"
      inputMode="decimal"
      readOnly={readOnly}
      value={draft}
      {...bounds}
      onChange={(e) => {
        setDraft(e.target.value);
        const n = e.target.value === "" ? undefined : Number(e.target.value);
        if (n === undefined || Number.isFinite(n)) onCommit(n);
      }}
    />
  );
}

export function SchemaField({
  name,
  schema,
  required,
  value,
  readOnly,
  onCommit,
  onTextFocus,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: JsonValue | undefined;
  readOnly: boolean;
  onCommit: (v: JsonValue | undefined) => void;
  onTextFocus: TextFocus;
}) {
  const id = useId();
  const kind = kindOf(schema);
  const help = schema.description;
  const label = <FieldLabel id={id} name={name} required={required} help={help} />;
  if (kind === "boolean") {
    return (
      <div className="cfg-field cfg-check">
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          disabled={readOnly}
          onChange={(e) => onCommit(e.target.checked ? true : undefined)}
        />
        {label}
      </div>
    );
  }
  if (kind === "enum") {
    const values = enumValues(schema);
    return (
      <div className="cfg-field">
        {label}
        <select
          id={id}
          className="select"
          value={value === undefined ? "" : String(value)}
          disabled={readOnly}
          onChange={(e) => {
            const picked = values.find((v) => String(v) === e.target.value);
            onCommit(e.target.value === "" ? undefined : picked);
          }}
        >
          <option value="">{schema.default !== undefined ? `default (${String(schema.default)})` : "—"}</option>
          {values.map((v) => (
            <option key={String(v)} value={String(v)}>
              {String(v)}
            </option>
          ))}
        </select>
      </div>
    );
  }
  if (kind === "number") {
    return (
      <div className="cfg-field">
        {label}
        <NumberInput id={id} value={value} bounds={numberBounds(schema)} onCommit={onCommit} readOnly={readOnly} />
      </div>
    );
  }
  if (kind === "scalar" && (value === undefined || typeof value === "string" || typeof value === "number")) {
    return (
      <div className="cfg-field">
        {label}
        <input
          id={id}
          className="input"
          readOnly={readOnly}
          value={value === undefined ? "" : String(value)}
          onFocus={(e) => onTextFocus(e.currentTarget, name)}
          onChange={(e) => {
            const v = e.target.value;
            onCommit(v === "" ? undefined : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
          }}
        />
      </div>
    );
  }
  if (kind === "string" && (value === undefined || typeof value === "string")) {
    const long = LONG_TEXT.test(name) || (typeof value === "string" && value.includes("\n"));
    const common = {
      id,
      readOnly,
      value: value ?? "",
      spellCheck: long,
      onFocus: (e: FocusEvent<HTMLInputElement | HTMLTextAreaElement>) => onTextFocus(e.currentTarget, name),
    };
    return (
      <div className="cfg-field">
        {label}
        {long ? (
          <textarea
            {...common}
            className="textarea cfg-long"
            rows={Math.min(10, Math.max(3, (value ?? "").split("\n").length + 1))}
            onChange={(e) => onCommit(e.target.value === "" ? undefined : e.target.value)}
          />
        ) : (
          <input
            {...common}
            className="input"
            onChange={(e) => onCommit(e.target.value === "" ? undefined : e.target.value)}
          />
        )}
      </div>
    );
  }
  return (
    <div className="cfg-field">
      {label}
      <YamlBox id={id} value={value} onCommit={onCommit} readOnly={readOnly} />
    </div>
  );
}
