/**
 * The launch form, derived from a workflow's args schema (JSON Schema — written in YAML, or derived from a
 * TypeScript workflow's zod schema). Pure: the page renders the fields this module describes, keeps their
 * values as the inputs hold them (text, mostly), and turns them back into `args` here.
 *
 * - Each top-level property is one field: strings (multi-line when the default is long or has line breaks),
 *   enums (a select), numbers and integers (a slider too when the schema bounds them), booleans (a switch),
 *   arrays of strings or numbers (a list of chips), arrays of `format: "weft-document"` strings (the project's
 *   documents), anything else as JSON text.
 * - `null` alternatives (`type: [string, null]`, `anyOf: [{…}, {type: null}]`, as zod's `.nullable()` gives)
 *   are unwrapped to the other type.
 * - The client checks what a person can fix before sending: required fields, numbers that are not numbers,
 *   JSON that does not parse. The server checks everything else (formats, patterns, ranges) and its 422
 *   issues are put back on their fields by `issuesByField`.
 */
export type JsonSchema = { [key: string]: unknown };

export type FieldKind =
  | { kind: "text"; multiline: boolean; format: string | undefined }
  | { kind: "enum"; options: { key: string; value: unknown; label: string }[] }
  | { kind: "number"; integer: boolean; min: number | undefined; max: number | undefined; step: number | undefined }
  | { kind: "boolean" }
  | { kind: "list"; item: "string" | "number" | "integer" }
  | { kind: "documents" }
  | { kind: "json" };

export type Field = FieldKind & {
  name: string;
  label: string;
  description: string | undefined;
  required: boolean;
  /** The schema's default (undefined: none). */
  default: unknown;
};

/** What an input holds: text for text, numbers (as typed), enums (the option's key) and JSON; lists of text. */
export type FieldValue = string | boolean | string[];
export type FormValues = Record<string, FieldValue>;

const isObject = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

/** The schema without its `null` alternative. */
function unwrapNull(schema: JsonSchema): JsonSchema {
  const type = schema.type;
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== "null");
    if (rest.length === 1) return { ...schema, type: rest[0] };
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const alts = schema[key];
    if (Array.isArray(alts)) {
      const rest = alts.filter((a) => !(isObject(a) && a.type === "null"));
      if (rest.length === 1 && isObject(rest[0])) {
        const { [key]: _, ...own } = schema;
        return { ...own, ...unwrapNull(rest[0]) };
      }
    }
  }
  return schema;
}

/** `brand_voice` → "Brand voice", `maxReviewRounds` → "Max review rounds". */
export function humanise(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function kindOf(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return {
      kind: "enum",
      options: schema.enum.map((value) => ({
        key: JSON.stringify(value),
        value,
        label: typeof value === "string" ? value : JSON.stringify(value),
      })),
    };
  }
  if (schema.const !== undefined) {
    return {
      kind: "enum",
      options: [{ key: JSON.stringify(schema.const), value: schema.const, label: String(schema.const) }],
    };
  }
  switch (schema.type) {
    case "string": {
      const def = typeof schema.default === "string" ? schema.default : "";
      const maxLength = num(schema.maxLength);
      const multiline = def.includes("\n") || def.length > 80 || (maxLength !== undefined && maxLength > 200);
      return { kind: "text", multiline, format: typeof schema.format === "string" ? schema.format : undefined };
    }
    case "number":
    case "integer": {
      const min = num(schema.minimum) ?? (num(schema.exclusiveMinimum) as number | undefined);
      const max = num(schema.maximum) ?? (num(schema.exclusiveMaximum) as number | undefined);
      const integer = schema.type === "integer";
      const step = num(schema.multipleOf) ?? (integer ? 1 : undefined);
      return { kind: "number", integer, min, max, step };
    }
    case "boolean":
      return { kind: "boolean" };
    case "array": {
      const items = isObject(schema.items) ? unwrapNull(schema.items) : undefined;
      if (items?.type === "string" && items.format === "weft-document") return { kind: "documents" };
      if (
        items &&
        !Array.isArray(items.enum) &&
        (items.type === "string" || items.type === "number" || items.type === "integer")
      ) {
        return { kind: "list", item: items.type };
      }
      return { kind: "json" };
    }
    default:
      return { kind: "json" };
  }
}

/** The fields of an args schema, in the schema's order (none for a schema without properties). */
export function fieldsOf(argsSchema: JsonSchema | null | undefined): Field[] {
  if (!isObject(argsSchema) || !isObject(argsSchema.properties)) return [];
  const required = new Set(Array.isArray(argsSchema.required) ? argsSchema.required.map(String) : []);
  return Object.entries(argsSchema.properties).map(([name, raw]) => {
    const schema = isObject(raw) ? unwrapNull(raw) : {};
    return {
      ...kindOf(schema),
      name,
      label: typeof schema.title === "string" && schema.title ? schema.title : humanise(name),
      description: typeof schema.description === "string" ? schema.description : undefined,
      required: required.has(name),
      default: schema.default,
    };
  });
}

/** What the field's input holds for a value of the argument (the default, an example). */
export function toInput(field: Field, value: unknown): FieldValue {
  switch (field.kind) {
    case "boolean":
      return value === true;
    case "enum":
      return value === undefined ? "" : JSON.stringify(value);
    case "list":
    case "documents":
      return Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : [];
    case "json":
      return value === undefined ? "" : JSON.stringify(value, null, 2);
    case "number":
      return typeof value === "number" ? String(value) : "";
    case "text":
      return typeof value === "string" ? value : "";
  }
}

/** The form's first values: each field's default, else empty. */
export function initialValues(fields: Field[]): FormValues {
  return Object.fromEntries(fields.map((f) => [f.name, toInput(f, f.default)]));
}

/** The form's values with an example's arguments over them (fields the example does not name keep theirs). */
export function withExample(fields: Field[], values: FormValues, example: Record<string, unknown>): FormValues {
  const out = { ...values };
  for (const f of fields) if (Object.hasOwn(example, f.name)) out[f.name] = toInput(f, example[f.name]);
  return out;
}

function parseNumber(text: string, integer: boolean): number | string {
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(n)) return "Enter a number";
  if (integer && !Number.isInteger(n)) return "Enter a whole number";
  return n;
}

/**
 * The `args` of the form's values, or the fields' errors. An empty optional field is left out (the schema's
 * default, if any, then applies on the server).
 */
export function collectArgs(
  fields: Field[],
  values: FormValues,
): { args: Record<string, unknown>; errors: Record<string, string> } {
  const args: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    const empty = v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
    if (f.kind !== "boolean" && empty) {
      if (f.required) errors[f.name] = "Required";
      continue;
    }
    switch (f.kind) {
      case "boolean":
        args[f.name] = v === true;
        break;
      case "text":
        args[f.name] = String(v);
        break;
      case "enum": {
        const option = f.options.find((o) => o.key === v);
        if (option) args[f.name] = option.value;
        else errors[f.name] = "Choose one of the options";
        break;
      }
      case "number": {
        const n = parseNumber(String(v), f.integer);
        if (typeof n === "number") args[f.name] = n;
        else errors[f.name] = n;
        break;
      }
      case "list": {
        if (f.item === "string") {
          args[f.name] = [...(v as string[])];
          break;
        }
        const parsed = (v as string[]).map((s) => parseNumber(s, f.item === "integer"));
        const bad = parsed.findIndex((p) => typeof p === "string");
        if (bad >= 0) errors[f.name] = `Item ${bad + 1}: ${String(parsed[bad])}`;
        else args[f.name] = parsed;
        break;
      }
      case "documents":
        args[f.name] = [...(v as string[])];
        break;
      case "json":
        try {
          args[f.name] = JSON.parse(String(v));
        } catch {
          errors[f.name] = "Enter valid JSON";
        }
        break;
    }
  }
  return { args, errors };
}

/** An issue of the server's 422 answer (`WEFT_ARGS`): its message, and the argument it is about when known. */
export interface ArgIssue {
  field?: string;
  message: string;
  hint?: string;
}

/** The top-level argument an issue's path names: `channels[1]` → `channels`, `a.b` → `a`. */
function topOf(path: string): string {
  const m = /^([^.[]+)/.exec(path);
  return m?.[1] ?? path;
}

/** The argument path at the start of an issue's message (`args.topic is required`), for issues without `field`. */
function pathInMessage(message: string): { path: string; rest: string } | undefined {
  const m = /^args((?:\.[A-Za-z_$][\w$-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])+)\s+(.*)$/s.exec(message);
  if (!m?.[1] || m[2] === undefined) return undefined;
  const first = m[1].startsWith(".") ? m[1].slice(1) : m[1];
  const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(first);
  return { path: quoted?.[1] ? JSON.parse(`"${quoted[1]}"`) : first, rest: m[2] };
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The server's issues, each on the field it names (its message without the `args.<name>` prefix), and the
 * rest for the whole form.
 */
export function issuesByField(
  fields: Field[],
  issues: ArgIssue[],
): { byField: Record<string, string>; form: string[] } {
  const names = new Set(fields.map((f) => f.name));
  const byField: Record<string, string> = {};
  const form: string[] = [];
  for (const issue of issues) {
    const inMessage = pathInMessage(issue.message);
    const path = issue.field ?? inMessage?.path;
    const name = path === undefined ? undefined : topOf(path);
    if (name !== undefined && names.has(name)) {
      const text = !inMessage ? issue.message : path !== name ? `${path}: ${inMessage.rest}` : sentence(inMessage.rest);
      byField[name] = byField[name] ? `${byField[name]}; ${text}` : text;
    } else {
      form.push(issue.message);
    }
  }
  return { byField, form };
}

/** The issues of a refused launch (`body.issues` of a WeftApiError), as far as they have a message. */
export function argIssuesOf(body: unknown): ArgIssue[] {
  const issues = isObject(body) ? body.issues : undefined;
  if (!Array.isArray(issues)) return [];
  return issues.flatMap((i): ArgIssue[] =>
    isObject(i) && typeof i.message === "string"
      ? [
          {
            message: i.message,
            ...(typeof i.field === "string" ? { field: i.field } : {}),
            ...(typeof i.hint === "string" ? { hint: i.hint } : {}),
          },
        ]
      : [],
  );
}
