/**
 * One argument of the launch form, by the kind of its schema (schema-form.ts): its label (required marked),
 * its input, its description as help text and its error, wired with aria-describedby / aria-invalid.
 */
import { Plus, X } from "lucide-react";
import { useState } from "react";
import { DocumentPicker } from "./DocumentPicker";
import { Switch } from "./Switch";
import type { Field, FieldValue } from "./schema-form";

export interface ArgFieldProps {
  field: Field;
  value: FieldValue;
  error: string | undefined;
  onChange: (v: FieldValue) => void;
  /** The project whose documents a `weft-document` list offers. */
  projectId: string;
}

export const fieldId = (name: string) => `arg-${name.replace(/[^\w-]/g, "_")}`;

export function ArgField({ field, value, error, onChange, projectId }: ArgFieldProps) {
  const id = fieldId(field.name);
  const help = field.description ? `${id}-help` : undefined;
  const err = error ? `${id}-error` : undefined;
  const describedBy = [help, err].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    "aria-describedby": describedBy,
    "aria-invalid": error ? true : undefined,
    "aria-required": field.required || undefined,
  } as const;
  const group = field.kind === "list" || field.kind === "documents";
  const Label = group ? "span" : "label";
  return (
    <div className={`arg-field arg-${field.kind}${error ? " has-error" : ""}`} data-field={field.name}>
      <div className="arg-label-row">
        <Label className="arg-label" id={`${id}-label`} {...(group ? {} : { htmlFor: id })}>
          {field.label}
          {field.required ? (
            <span className="arg-required" title="Required">
              <span aria-hidden="true"> *</span>
              <span className="visually-hidden"> (required)</span>
            </span>
          ) : (
            <span className="arg-optional">optional</span>
          )}
        </Label>
        <code className="arg-name">{field.name}</code>
      </div>
      <Input field={field} value={value} onChange={onChange} common={common} projectId={projectId} />
      {field.description && (
        <p className="arg-help" id={help}>
          {field.description}
        </p>
      )}
      {error && (
        <p className="arg-error" id={err}>
          {error}
        </p>
      )}
    </div>
  );
}

type Common = {
  id: string;
  "aria-describedby": string | undefined;
  "aria-invalid": true | undefined;
  "aria-required": true | undefined;
};

function Input({
  field,
  value,
  onChange,
  common,
  projectId,
}: {
  field: Field;
  value: FieldValue;
  onChange: (v: FieldValue) => void;
  common: Common;
  projectId: string;
}) {
  switch (field.kind) {
    case "text":
      return field.multiline ? (
        <textarea
          className="textarea"
          rows={Math.min(8, Math.max(3, String(value).split("\n").length + Math.ceil(String(value).length / 90)))}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
          {...common}
        />
      ) : (
        <input
          className="input"
          type={field.format === "uri" ? "url" : field.format === "email" ? "email" : "text"}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
          {...common}
        />
      );
    case "enum":
      return (
        <select className="select" value={String(value)} onChange={(e) => onChange(e.target.value)} {...common}>
          {(!field.required || value === "") && <option value="">{field.required ? "Choose…" : "—"}</option>}
          {field.options.map((o) => (
            <option key={o.key} value={o.key}>
              {o.label}
            </option>
          ))}
        </select>
      );
    case "number":
      return field.min !== undefined && field.max !== undefined ? (
        <div className="arg-slider">
          <span className="arg-slider-end" aria-hidden="true">
            {field.min}
          </span>
          <input
            type="range"
            min={field.min}
            max={field.max}
            step={field.step ?? "any"}
            value={value === "" ? field.min : String(value)}
            onChange={(e) => onChange(e.target.value)}
            aria-labelledby={`${common.id}-label`}
            aria-describedby={common["aria-describedby"]}
          />
          <span className="arg-slider-end" aria-hidden="true">
            {field.max}
          </span>
          <input
            className="input arg-number"
            type="number"
            inputMode={field.integer ? "numeric" : "decimal"}
            min={field.min}
            max={field.max}
            step={field.step ?? "any"}
            value={String(value)}
            onChange={(e) => onChange(e.target.value)}
            {...common}
          />
        </div>
      ) : (
        <input
          className="input arg-number"
          type="number"
          inputMode={field.integer ? "numeric" : "decimal"}
          {...(field.min !== undefined ? { min: field.min } : {})}
          {...(field.max !== undefined ? { max: field.max } : {})}
          step={field.step ?? "any"}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
          {...common}
        />
      );
    case "boolean":
      return (
        <Switch
          id={common.id}
          on={value === true}
          onChange={onChange}
          labelledBy={`${common.id}-label`}
          describedBy={common["aria-describedby"]}
        />
      );
    case "list":
      return (
        <ChipList
          id={common.id}
          labelledBy={`${common.id}-label`}
          describedBy={common["aria-describedby"]}
          invalid={common["aria-invalid"] === true}
          numeric={field.item !== "string"}
          items={value as string[]}
          onChange={onChange}
        />
      );
    case "documents":
      return (
        <DocumentPicker
          labelledBy={`${common.id}-label`}
          describedBy={common["aria-describedby"]}
          projectId={projectId}
          selected={value as string[]}
          onChange={onChange}
        />
      );
    case "json":
      return (
        <textarea
          className="textarea mono"
          rows={4}
          spellCheck={false}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
          {...common}
        />
      );
  }
}

/** A list of values as chips: type and press Enter (or Add) to add one, × to remove one. */
function ChipList({
  id,
  labelledBy,
  describedBy,
  invalid,
  numeric,
  items,
  onChange,
}: {
  id: string;
  labelledBy: string;
  describedBy: string | undefined;
  invalid: boolean;
  numeric: boolean;
  items: string[];
  onChange: (v: string[]) => void;
}) {
  const [text, setText] = useState("");
  const add = () => {
    const v = text.trim();
    if (!v) return;
    onChange([...items, v]);
    setText("");
  };
  return (
    <fieldset className="chip-list" aria-labelledby={labelledBy}>
      {items.length > 0 && (
        <ul className="chips">
          {items.map((item, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the same value may be in the list twice
            <li key={`${i}:${item}`} className="chip">
              <span className="chip-text">{item}</span>
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${item}`}
                onClick={() => onChange(items.filter((_, n) => n !== i))}
              >
                <X size={12} aria-hidden="true" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="chip-add">
        <input
          id={id}
          className="input"
          type={numeric ? "number" : "text"}
          step="any"
          placeholder={numeric ? "Add a number" : "Add a value"}
          aria-labelledby={labelledBy}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" className="btn btn-sm" onClick={add} disabled={!text.trim()}>
          <Plus size={13} aria-hidden="true" /> Add
        </button>
      </div>
    </fieldset>
  );
}
