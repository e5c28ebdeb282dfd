/**
 * The launch form's pure core (web/src/pages/gallery/schema-form.ts): which input each argument gets, the
 * `args` a form's values make, and where the server's 422 issues land. Plus the gallery's URL state.
 */
import { describe, expect, it } from "vitest";
import { categoryLabel } from "../../web/src/pages/gallery/categories.js";
import { galleryFiltersOf, gallerySearchOf } from "../../web/src/pages/gallery/filters.js";
import {
  argIssuesOf,
  collectArgs,
  type Field,
  fieldsOf,
  humanise,
  initialValues,
  issuesByField,
  withExample,
} from "../../web/src/pages/gallery/schema-form.js";

const SCHEMA = {
  type: "object",
  required: ["topic", "count"],
  properties: {
    topic: { type: "string", description: "What about" },
    brief: { type: "string", default: "line one\nline two" },
    count: { type: "integer", minimum: 1, maximum: 20, default: 5 },
    ratio: { type: "number" },
    tone: { type: "string", enum: ["warm", "formal"], default: "warm" },
    live: { type: "boolean", default: true },
    channels: { type: "array", items: { type: "string" }, default: ["email"] },
    sizes: { type: "array", items: { type: "integer" } },
    docs: { type: "array", items: { type: "string", format: "weft-document" } },
    extra: { type: "object", properties: { a: { type: "string" } } },
    maybe: { anyOf: [{ type: "string", format: "uri" }, { type: "null" }] },
    nullable: { type: ["integer", "null"], title: "A nullable number" },
  },
};

const fields = fieldsOf(SCHEMA);
const byName = (name: string): Field => {
  const f = fields.find((x) => x.name === name);
  if (!f) throw new Error(name);
  return f;
};

describe("fieldsOf", () => {
  it.each([
    ["topic", { kind: "text", multiline: false, required: true, description: "What about" }],
    ["brief", { kind: "text", multiline: true, required: false }],
    ["count", { kind: "number", integer: true, min: 1, max: 20, step: 1, required: true }],
    ["ratio", { kind: "number", integer: false, min: undefined, max: undefined }],
    ["tone", { kind: "enum" }],
    ["live", { kind: "boolean", default: true }],
    ["channels", { kind: "list", item: "string" }],
    ["sizes", { kind: "list", item: "integer" }],
    ["docs", { kind: "documents" }],
    ["extra", { kind: "json" }],
    ["maybe", { kind: "text", format: "uri" }],
    ["nullable", { kind: "number", integer: true, label: "A nullable number" }],
  ])("%s", (name, expected) => {
    expect(byName(name)).toMatchObject(expected);
  });

  it("keeps the schema's order and names fields for people", () => {
    expect(fields.map((f) => f.name)).toEqual(Object.keys(SCHEMA.properties));
    expect(humanise("maxReviewRounds")).toBe("Max review rounds");
    expect(humanise("brand_voice")).toBe("Brand voice");
    expect(fieldsOf(null)).toEqual([]);
    expect(fieldsOf({ type: "object" })).toEqual([]);
  });
});

describe("collectArgs", () => {
  it("refuses what a person can fix before sending: required, numbers, JSON", () => {
    const values = { ...initialValues(fields), count: "", ratio: "abc", sizes: ["1", "2.5"], extra: "{" };
    expect(collectArgs(fields, values).errors).toEqual({
      topic: "Required",
      count: "Required",
      ratio: "Enter a number",
      sizes: "Item 2: Enter a whole number",
      extra: "Enter valid JSON",
    });
  });

  it("turns the inputs back into typed args and leaves empty optional fields out", () => {
    const values = { ...initialValues(fields), topic: "Launch", ratio: "0.5", sizes: ["3"], extra: '{"a":"b"}' };
    const { args, errors } = collectArgs(fields, values);
    expect(errors).toEqual({});
    expect(args).toEqual({
      topic: "Launch",
      brief: "line one\nline two",
      count: 5,
      ratio: 0.5,
      tone: "warm",
      live: true,
      channels: ["email"],
      sizes: [3],
      extra: { a: "b" },
    });
  });

  it("fills in an example over the defaults", () => {
    const values = withExample(fields, initialValues(fields), { topic: "From the example", count: 9, docs: ["d1"] });
    expect(collectArgs(fields, values).args).toMatchObject({ topic: "From the example", count: 9, docs: ["d1"] });
  });
});

describe("issuesByField", () => {
  it("puts each issue on the field it names (by `field`, else by the message's path), the rest on the form", () => {
    const issues = argIssuesOf({
      code: "WEFT_ARGS",
      issues: [
        { field: "topic", message: "args.topic must NOT have fewer than 3 characters" },
        { message: 'args.maybe must match format "uri"' },
        { field: "channels[1]", message: "args.channels[1] must be string, got 3" },
        { message: "args has an unknown argument `other`" },
        { field: "nope", message: "args.nope is not an argument" },
        { code: "no message" },
      ],
    });
    expect(issuesByField(fields, issues)).toEqual({
      byField: {
        topic: "Must NOT have fewer than 3 characters",
        maybe: 'Must match format "uri"',
        channels: "channels[1]: must be string, got 3",
      },
      form: ["args has an unknown argument `other`", "args.nope is not an argument"],
    });
    expect(argIssuesOf(undefined)).toEqual([]);
  });
});

describe("the gallery's URL", () => {
  it("round-trips its choices and leaves defaults out", () => {
    const f = { category: "paid-ads", q: "summer sale", sort: "name" as const, preview: "abc" };
    expect(galleryFiltersOf(gallerySearchOf(f))).toEqual(f);
    expect(gallerySearchOf({ category: "", q: "", sort: "usage", preview: "" })).toBe("");
    expect(galleryFiltersOf("?sort=bogus").sort).toBe("usage");
  });

  it("labels categories", () => {
    expect(categoryLabel("paid-ads")).toBe("Paid ads");
    expect(categoryLabel("sdlc")).toBe("SDLC");
    expect(categoryLabel("data_engineering")).toBe("Data engineering");
  });
});
