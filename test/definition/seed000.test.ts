import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { WorkflowStep } from "../../src/core/model.js";
import { SEED000_NODE_TYPES } from "../../src/definition/dialects/seed000-nodes.js";
import { workflowHash } from "../../src/definition/index.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { errorsOf, mustParse, parseFile, parseYaml, repoRoot, warningsOf, where, withoutSource } from "./helpers.js";

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));
const fixtures = path.join(repoRoot, "test/fixtures/seed-000");
const parse000 = (text: string, file = "wf.yaml") => parseYaml(text, { file, stepTypes });
const stepsById = (steps: WorkflowStep[]) => Object.fromEntries(steps.map((s) => [s.id, s]));

/** The example of the contract (docs/workflow-syntax.md, "Seed 000 dialect"). */
const EXAMPLE = `name: Facebook Ads Campaign
category: paid-ads
default_params: { topic: "Summer sale", copy_quantity: 10 }
nodes:
  - id: copies
    node_type: generate_copy
    label: Generate ad copy
    config: { prompt_template: "Write an ad about {{ args.topic }}", quantity: 10, temperature: 0.7 }
    position: { x: 0, y: 0 }
  - { id: check, node_type: review, label: Brand review, config: { instructions: "Check voice" } }
edges:
  - { source: copies, target: check }
`;

describe("the seed 000 dialect", () => {
  it("reads nodes and edges into weft steps, default_params into the args schema", () => {
    const r = parse000(EXAMPLE);
    expect(r.issues).toEqual([]);
    const wf = mustParse(r);
    expect(wf.source?.dialect).toBe("seed-000");
    expect(wf.name).toBe("Facebook Ads Campaign");
    expect(wf.category).toBe("paid-ads");
    expect(wf.argsSchema).toEqual({
      type: "object",
      properties: {
        topic: { type: "string", default: "Summer sale" },
        copy_quantity: { type: "integer", default: 10 },
      },
    });
    const { copies, check } = stepsById(wf.steps);
    expect(copies).toMatchObject({
      name: "Generate ad copy",
      type: "agent",
      needs: [],
      foreach: "range(10)",
      config: {
        agent: "copywriter",
        prompt: "Write an ad about {{ args.topic }}",
        temperature: 0.7,
        document: "copies-{{ index + 1 }}",
        system: "You write copy {{ index + 1 }} of 10 for one brief: make it clearly different from the others.",
      },
      location: { line: 5, column: 5 },
    });
    expect(check).toMatchObject({
      name: "Brand review",
      type: "approval",
      needs: [{ step: "copies", on: "success" }],
      config: { message: "Check voice" },
    });
    // Nodes without edges between them are independent (not file order, as steps without needs would be).
    const loose = mustParse(parse000(EXAMPLE.replace(/edges:\n.*\n$/, "")));
    expect(stepsById(loose.steps).check?.needs).toEqual([]);
  });

  it("the same workflow in JSON has the same hash; positions never change it", () => {
    const yaml = mustParse(parse000(EXAMPLE));
    const json = mustParse(parse000(JSON.stringify(parse(EXAMPLE)), "wf.json"));
    expect(json.source).toMatchObject({ dialect: "seed-000", format: "json" });
    expect(workflowHash(json)).toBe(workflowHash(yaml));
    const moved = mustParse(parse000(EXAMPLE.replace("position: { x: 0, y: 0 }", "position: { x: 400, y: -20 }")));
    expect(workflowHash(moved)).toBe(workflowHash(yaml));
    const columns = mustParse(
      parse000(EXAMPLE.replace("position: { x: 0, y: 0 }", "position_x: 12\n    position_y: 34")),
    );
    expect(workflowHash(columns)).toBe(workflowHash(yaml));
  });

  it("is the same workflow as the canonical YAML it maps to", () => {
    const canonical = mustParse(
      parse000(`name: Facebook Ads Campaign
category: paid-ads
argsSchema:
  type: object
  properties:
    topic: { type: string, default: "Summer sale" }
    copy_quantity: { type: integer, default: 10 }
steps:
  - id: copies
    name: Generate ad copy
    type: agent
    needs: []
    agent: copywriter
    prompt: "Write an ad about {{ args.topic }}"
    temperature: 0.7
    foreach: range(10)
    document: "copies-{{ index + 1 }}"
    system: "You write copy {{ index + 1 }} of 10 for one brief: make it clearly different from the others."
  - id: check
    name: Brand review
    type: approval
    needs: [copies]
    message: Check voice
`),
    );
    expect(withoutSource(mustParse(parse000(EXAMPLE)))).toEqual(withoutSource(canonical));
  });

  it("maps each node type's keys as its table says", () => {
    const wf = mustParse(
      parse000(`name: all
default_params: { n: 3, with_image: true }
nodes:
  - { id: fan, type: parallel }
  - id: one-copy
    node_type: generate_copy
    config: { prompt_template: "Hi", model: gpt-x }
  - id: many
    node_type: generate_copy
    config: { prompt_template: "Hi", quantity: "{{ n }}", phase: ignored-phase-name }
  - id: img
    node_type: generate_image
    config: { prompt_template: "A cat", quantity: 2, style_preset: ink, dimensions: 1024x1024, agent: painter }
  - { id: gate, node_type: conditional, config: { condition: "{{ with_image }}" } }
  - { id: on-true, node_type: parallel }
  - { id: on-false, node_type: parallel }
  - { id: both, node_type: parallel }
  - { id: glue, node_type: attach_to_document, config: { strategy: single_to_multiple } }
  - { id: ok, node_type: review, config: { instructions: "Look", auto_approve_after: 2h } }
  - { id: join, node_type: merge }
  - { id: shell, node_type: script, config: { command: "echo hi" } }
edges:
  - { source: fan, target: one-copy }
  - { source: fan, target: gate }
  - { source: gate, target: on-true, sourceHandle: "true" }
  - { source: gate, target: on-false, sourceHandle: false }
  - { source: gate, target: both, sourceHandle: "true" }
  - { source: gate, target: both, sourceHandle: "false" }
  - { source: one-copy, target: ok }
  - { source: ok, target: glue }
  - { source: img, target: glue }
  - { source: on-true, target: join }
  - { source: on-false, target: join }
`),
    );
    const s = stepsById(wf.steps);
    expect(s["one-copy"]?.config).toEqual({
      agent: "copywriter",
      prompt: "Hi",
      model: "gpt-x",
      document: "one-copy",
    });
    expect(s["one-copy"]?.foreach).toBeUndefined();
    expect(s.many).toMatchObject({ foreach: "range(n)", phase: "ignored-phase-name" });
    expect(s.many?.config.system).toBe(
      "You write copy {{ index + 1 }} of {{ n }} for one brief: make it clearly different from the others.",
    );
    expect(s.img?.config).toEqual({ agent: "painter", prompt: "A cat", count: 2, style: "ink", size: "1024x1024" });
    expect(s.gate).toMatchObject({ type: "noop", config: {} });
    expect(s["on-true"]?.if).toBe("with_image");
    expect(s["on-false"]?.if).toBe("!(with_image)");
    expect(s.both?.if).toBeUndefined(); // reached by both branches: runs either way
    // The attach node finds its documents through the review node before it.
    expect(s.glue?.config).toEqual({
      strategy: "one-to-many",
      documents: "{{ steps.one-copy.output }}",
      images: "{{ steps.img.output }}",
    });
    expect(s.ok?.config).toEqual({ message: "Look", timeout: "2h", onTimeout: "approve" });
    expect(s.join?.needs).toEqual([
      { step: "on-true", on: "always" },
      { step: "on-false", on: "always" },
    ]);
    expect(s.shell).toMatchObject({ type: "script", config: { command: "echo hi" } });
  });

  it("context documents: a node's become the agent's `documents`; a `context_documents` param is a document list", () => {
    // Parsed without the step types: the agent's `documents` setting is the api slice's (workflow-syntax.md,
    // "Context documents").
    const r = parseYaml(`name: docs
default_params: { topic: sleep, context_documents: [] }
nodes:
  - id: brief
    node_type: generate_copy
    config: { prompt_template: "Write about {{ topic }}", context_documents: "{{ context_documents }}" }
  - id: fixed
    node_type: generate_copy
    config: { prompt_template: "Write", context_documents: [doc-1, doc-2] }
`);
    expect(errorsOf(r.issues)).toEqual([]);
    const wf = mustParse(r);
    expect(wf.argsSchema?.properties).toEqual({
      topic: { type: "string", default: "sleep" },
      context_documents: { type: "array", items: { type: "string", format: "weft-document" }, default: [] },
    });
    const s = stepsById(wf.steps);
    expect(s.brief?.config.documents).toBe("{{ context_documents }}");
    expect(s.fixed?.config.documents).toEqual(["doc-1", "doc-2"]);
  });

  it("reads React Flow's node shape: `type`, `data: { label, config }`, and its own state ignored", () => {
    const r = parse000(
      JSON.stringify({
        name: "rf",
        nodes: [
          {
            id: "a",
            type: "generate_copy",
            position: { x: 1, y: 2 },
            data: { label: "Write", config: { prompt_template: "Hi" } },
            width: 180,
            height: 40,
            selected: false,
            dragging: false,
          },
        ],
        edges: [],
      }),
      "wf.json",
    );
    expect(r.issues).toEqual([]);
    expect(mustParse(r).steps[0]).toMatchObject({ id: "a", name: "Write", type: "agent", config: { prompt: "Hi" } });
  });

  it("every node type's palette preset is a valid node of that type", () => {
    for (const t of SEED000_NODE_TYPES) {
      if (t.name === "attach_to_document" || t.name === "conditional") continue; // need edges / a condition
      const r = parse000(JSON.stringify({ name: "p", nodes: [{ id: "n", node_type: t.type, config: t.config }] }));
      expect(r.issues, t.name).toEqual([]);
    }
  });
});

describe("docs/workflow-syntax.md, Seed 000 dialect", () => {
  const docs = readFileSync(path.join(repoRoot, "docs/workflow-syntax.md"), "utf8");
  const section = docs.slice(docs.indexOf("### Seed 000 dialect"), docs.indexOf("## Validation errors"));

  it("its example is the canonical workflow it says it is (same hash)", () => {
    const [seed, canonical] = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const a = mustParse(parse000(seed as string));
    const b = mustParse(parse000(canonical as string));
    expect(a.source?.dialect).toBe("seed-000");
    expect(withoutSource(a)).toEqual(withoutSource(b));
    expect(workflowHash(a)).toBe(workflowHash(b));
  });

  it("its table has a row per node type, with the step type it becomes and every key it maps", () => {
    for (const t of SEED000_NODE_TYPES) {
      const row = section.split("\n").find((l) => l.startsWith(`| \`${t.name}\` (${t.label}) | \`${t.type}\``));
      expect(row, t.name).toBeDefined();
      for (const key of Object.keys(t.keys).filter((k) => !k.startsWith("("))) {
        expect(row, `${t.name}.${key}`).toContain(`\`${key}\` → `);
      }
    }
  });
});

describe("seed 000 problems point at the node, edge or key", () => {
  const lines = (...l: string[]) => `${l.join("\n")}\n`;

  it("a node without an id, an unknown node type, an edge to an unknown node", () => {
    const r = parse000(
      lines(
        "name: bad",
        "nodes:",
        "  - { node_type: review }", // 3
        "  - id: a",
        "    node_type: generate_cpy", // 5
        "  - { id: b, node_type: merge }",
        "edges:",
        "  - { source: b, target: bb }", // 8
        "  - { source: nope, target: b }", // 9
      ),
    );
    expect(r.workflow).toBeUndefined();
    expect(where(errorsOf(r.issues))).toEqual([
      "3:5 WEFT_SCHEMA",
      "5:16 WEFT_SCHEMA",
      "8:26 WEFT_UNKNOWN_REF",
      "9:15 WEFT_UNKNOWN_REF",
    ]);
    const [noId, unknownType, toUnknown] = errorsOf(r.issues);
    expect(noId?.message).toBe("node 1 has no `id`");
    expect(unknownType?.message).toBe("unknown node type `generate_cpy`");
    expect(unknownType?.hint).toBe("did you mean `generate_copy`?");
    expect(toUnknown?.message).toBe("edge 1 has target `bb`, but no node has that id");
    expect(toUnknown?.hint).toBe("did you mean `b`?");
  });

  it("a cycle is reported at the edge that closes it", () => {
    const r = parse000(
      lines(
        "name: loop",
        "nodes:",
        "  - { id: a, node_type: parallel }",
        "  - { id: b, node_type: merge }",
        "edges:",
        "  - { source: a, target: b }",
        "  - { source: b, target: a }", // 7
      ),
    );
    const errors = errorsOf(r.issues);
    expect(errors.map((i) => i.code)).toEqual(["WEFT_CYCLE"]);
    expect(errors[0]?.message).toContain("a → b → a");
    expect(errors[0]?.location.line).toBeGreaterThanOrEqual(6);
  });

  it("bad config values, at their keys", () => {
    const r = parse000(
      lines(
        "name: config",
        "nodes:",
        "  - id: c",
        "    node_type: generate_copy",
        "    config:",
        "      quantity: lots", // 6
        "      prompt_template: Hi",
        "      temperature: 9", // 8
        "  - id: i",
        "    node_type: generate_image",
        "    config: { prompt_template: A cat, quantity: 50 }", // 11
        "  - id: r",
        "    node_type: review",
        "    config: { auto_approve_after: 3600 }", // 14
        "  - id: g",
        "    node_type: attach_to_document",
        "    config: { strategy: single_to_singel }", // 17
        "  - id: w",
        "    node_type: generate_copy",
        "    config: { prompt_template: x, needs: [c] }", // 20
        "edges:",
        "  - { source: c, target: g }",
        "  - { source: i, target: g }",
        "  - { source: c, target: w, sourceHandle: maybe }",
      ),
    );
    const errors = errorsOf(r.issues);
    expect(where(errors)).toEqual([
      "6:17 WEFT_SCHEMA",
      "8:20 WEFT_STEP_CONFIG",
      "11:49 WEFT_STEP_CONFIG",
      "14:35 WEFT_SCHEMA",
      "17:25 WEFT_SCHEMA",
      "20:35 WEFT_SCHEMA",
    ]);
    expect(errors[0]?.message).toContain("`quantity` must be a whole number from 1 to 1000");
    expect(errors[3]?.message).toContain("`auto_approve_after` must be a duration with its unit");
    expect(errors[4]?.hint).toBe("did you mean `single_to_single`?");
    expect(errors[5]?.message).toContain("`needs` cannot be set in a node's config");
    // A sourceHandle matters only on a conditional's edges.
    expect(r.issues.some((i) => i.message.includes("sourceHandle"))).toBe(false);
  });

  it("a conditional needs a condition and true/false edges", () => {
    const r = parse000(
      lines(
        "name: cond",
        "nodes:",
        "  - { id: gate, node_type: conditional, config: {} }", // 3
        "  - { id: x, node_type: parallel }",
        "edges:",
        "  - { source: gate, target: x, sourceHandle: maybe }", // 6
      ),
    );
    const errors = errorsOf(r.issues);
    expect(where(errors)).toEqual(["3:49 WEFT_SCHEMA", "6:46 WEFT_SCHEMA"]);
    expect(errors[0]?.message).toBe("conditional node `gate` needs a `condition` (an expression)");
    expect(errors[1]?.message).toContain('`sourceHandle` the string "maybe"');
  });

  it("an attach node needs something to attach: reported once per missing kind, and it makes no step", () => {
    const r = parse000(
      lines(
        "name: glue",
        "nodes:",
        "  - { id: x, node_type: parallel }",
        "  - { id: glue, node_type: attach_to_document }", // 4
        "  - { id: after, node_type: review }",
        "edges:",
        "  - { source: x, target: glue }",
        "  - { source: glue, target: after }",
      ),
    );
    const errors = errorsOf(r.issues);
    expect(where(errors)).toEqual(["4:5 WEFT_SCHEMA", "4:5 WEFT_SCHEMA"]);
    expect(errors[0]?.message).toBe(
      "attach_to_document node `glue` has no generate_copy node before it to take documents from",
    );
    expect(errors[1]?.hint).toBe("connect a generate_image node to it");
  });

  it("an output_status (seed 000's document status) is a warning: weft documents have none", () => {
    const r = parse000(
      lines(
        "name: s",
        "nodes:",
        "  - id: c",
        "    node_type: generate_copy",
        "    config: { prompt_template: Hi, output_status: draft }",
      ),
    );
    expect(errorsOf(r.issues)).toEqual([]);
    expect(where(warningsOf(r.issues))).toEqual(["5:36 WEFT_SCHEMA"]);
  });

  it("seed 000's top-level keys only: `steps` beside `nodes` is not seed 000", () => {
    expect(where(errorsOf(parse000("name: x\nnodes: []\n").issues))).toEqual(["2:8 WEFT_SCHEMA"]);
    expect(where(errorsOf(parse000("name: x\nnodez: 1\nnodes: [{ id: a, node_type: merge }]\n").issues))).toEqual([
      "2:1 WEFT_SCHEMA",
    ]);
    const both = parse000("name: x\nnodes: []\nsteps: [{ id: a, command: echo }]\n");
    expect(where(errorsOf(both.issues))).toEqual(["2:1 WEFT_SCHEMA"]);
    expect(errorsOf(both.issues)[0]?.message).toBe("unknown key `nodes` in the workflow");
  });
});

describe("test/fixtures/seed-000: seed 000's marketing templates as seed 000 stores them", () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith(".yaml"));

  it("are the five templates", () => {
    expect(files.sort()).toEqual([
      "blog-post-with-social.yaml",
      "email-campaign.yaml",
      "facebook-ads-campaign.yaml",
      "instagram-carousel.yaml",
      "landing-page-hero.yaml",
    ]);
  });

  it.each(files)("%s loads and validates as seed 000", (file) => {
    const r = parseFile(path.join(fixtures, file), { stepTypes });
    expect(errorsOf(r.issues)).toEqual([]);
    const wf = mustParse(r);
    expect(wf.source?.dialect).toBe("seed-000");
    expect(["paid-ads", "social-media", "blog-content", "email", "landing-pages"]).toContain(wf.category);
    expect(wf.description).toBeTruthy();
  });
});

describe("weft's extension of the seed 000 dialect: a node's own if and foreach, an edge's on", () => {
  const base = `name: Ext
default_params: { go: true, items: [a, b] }
nodes:
  - { id: build, node_type: script, config: { command: make } }
  - { id: tell, node_type: noop, if: "go", foreach: "items" }
edges:
  - { source: build, target: tell, on: failure }
`;

  it("reads them into the step", () => {
    const { tell } = stepsById(mustParse(parse000(base)).steps);
    expect(tell).toMatchObject({ if: "go", foreach: "items", needs: [{ step: "build", on: "failure" }] });
  });

  it("refuses an edge's `on` other than success, failure or always, at the edge", () => {
    const r = parse000(base.replace("on: failure", "on: sometimes"));
    expect(errorsOf(r.issues).map((i) => i.message)).toEqual(['edge 1 has `on` the string "sometimes"']);
    expect(where(errorsOf(r.issues))).toEqual([expect.stringMatching(/^7:\d+ WEFT_SCHEMA$/)]);
  });

  it("refuses a node's foreach beside a generate_copy quantity", () => {
    const r = parse000(`name: Q
nodes:
  - { id: c, node_type: generate_copy, foreach: "range(2)", config: { prompt_template: Hi, quantity: 3 } }
`);
    expect(errorsOf(r.issues).map((i) => i.message)).toEqual([
      "node `c` has both `foreach` and a `quantity` of copies",
    ]);
  });
});
