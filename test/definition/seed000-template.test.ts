/**
 * Seed 000's template JSON both ways (src/definition/dialects/seed000-template.ts): seed 000 JSON → weft → seed
 * 000 JSON is identical; a weft definition → seed 000 JSON → weft has the same workflow hash, or names the step
 * and field it cannot carry. Over the seed 000 templates (test/fixtures/seed-000), the built-in templates
 * (templates/) and generated workflows.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Workflow } from "../../src/core/model.js";
import {
  graphOfWorkflow,
  type Seed000Graph,
  templateFields,
  templateGraph,
  templateSource,
} from "../../src/definition/dialects/seed000-template.js";
import { parseWorkflow, workflowHash } from "../../src/definition/index.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { mustParse, repoRoot } from "./helpers.js";

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));
const fixtures = path.join(repoRoot, "test/fixtures/seed-000");
const seedFiles = readdirSync(fixtures).filter((f) => f.endsWith(".yaml"));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}
const builtIn = walk(path.join(repoRoot, "templates"));

const read = (text: string, file = "t.json") => mustParse(parseWorkflow(text, { file, stepTypes }));
const mustGraph = (r: ReturnType<typeof templateGraph>): Seed000Graph => {
  if (r.problems) throw new Error(r.problems.map((p) => `${p.step}.${p.field}: ${p.message}`).join("\n"));
  return r.graph;
};
/** The graph as seed 000 JSON → a weft definition → its workflow. */
const readGraph = (g: Seed000Graph): Workflow => read(templateSource(templateFields(g)));

/** A seed 000 template as its API sends it: the record's fields, nodes with position_x / position_y. */
function seedJson(file: string): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(fixtures, file), "utf8")) as Record<string, unknown>;
  const nodes = (doc.nodes as Record<string, unknown>[]).map(({ position, ...n }) => {
    const p = position as { x: number; y: number } | undefined;
    return p ? { ...n, position_x: p.x, position_y: p.y } : n;
  });
  return {
    id: "2d1f3a9e-1111-4c4c-9d9d-000000000001",
    name: doc.name,
    description: doc.description ?? null,
    category: doc.category ?? null,
    nodes,
    edges: doc.edges,
    default_params: doc.default_params ?? {},
    is_system: true,
    usage_count: 12,
    node_count: nodes.length,
    avg_execution_time: 84.5,
    created_at: "2025-11-25T10:00:00Z",
    updated_at: "2025-11-25T10:00:00Z",
  };
}

/** The template as weft answers it: its graph, then the record fields given. */
function answered(g: Seed000Graph, record: Record<string, unknown>): Record<string, unknown> {
  const { nodes: _n, edges: _e, name: _a, description: _b, category: _c, default_params: _d, ...rest } = record;
  return { ...rest, ...templateFields(g) };
}

describe("seed 000 JSON → weft → seed 000 JSON", () => {
  it.each(seedFiles)("%s comes back identical, and is the same workflow as the YAML file", (file) => {
    const json = seedJson(file);
    const source = templateSource(json);
    // The record's own fields are the store's, not the definition's.
    expect(JSON.parse(source)).not.toHaveProperty("usage_count");
    const workflow = read(source);
    const yaml = read(readFileSync(path.join(fixtures, file), "utf8"), file);
    expect(workflowHash(workflow)).toBe(workflowHash(yaml));
    const back = mustGraph(templateGraph(source, "json", workflow, stepTypes));
    expect(answered(back, json)).toEqual(json);
    // Positions, labels, configs, default_params and branches as written.
    expect(back.nodes).toEqual(json.nodes);
    expect(back.edges).toEqual(json.edges);
    expect(back.default_params).toEqual(json.default_params);
  });

  it("keeps a conditional's branches, React Flow's own keys and weft's keys beside the seed's", () => {
    const json = {
      name: "Branching",
      description: null,
      category: "social-media",
      default_params: { topic: "launch", long_form: true },
      phases: ["write", "check"],
      nodes: [
        {
          id: "gate",
          node_type: "conditional",
          label: "Long form?",
          config: { condition: "{{ long_form }}" },
          position_x: 0,
          position_y: 0,
        },
        {
          id: "long",
          node_type: "generate_copy",
          label: "Long copy",
          config: { prompt_template: "Write long about {{ topic }}", phase: "write" },
          position_x: 200,
          position_y: -60,
          width: 180,
        },
        {
          id: "short",
          node_type: "generate_copy",
          label: "Short copy",
          config: { prompt_template: "Write short about {{ topic }}", quantity: 3, phase: "write" },
          position_x: 200,
          position_y: 60,
        },
        { id: "join", node_type: "merge", label: "Join", config: {}, position_x: 400, position_y: 0 },
        {
          id: "check",
          node_type: "review",
          label: "Check",
          config: { instructions: "Read it", auto_approve_after: "2h", phase: "check" },
          position_x: 600,
          position_y: 0,
        },
      ],
      edges: [
        { id: "e1", source: "gate", target: "long", sourceHandle: "true", animated: true },
        { id: "e2", source: "gate", target: "short", sourceHandle: "false" },
        { id: "e3", source: "long", target: "join" },
        { id: "e4", source: "short", target: "join" },
        { id: "e5", source: "join", target: "check" },
      ],
    };
    const source = templateSource(json);
    const workflow = read(source);
    const steps = Object.fromEntries(workflow.steps.map((s) => [s.id, s]));
    expect(steps.long?.if).toBe("long_form");
    expect(steps.short?.if).toBe("!(long_form)");
    expect(steps.join?.needs).toEqual([
      { step: "long", on: "always" },
      { step: "short", on: "always" },
    ]);
    expect(templateFields(mustGraph(templateGraph(source, "json", workflow)))).toEqual(json);
  });

  it("generated seed 000 graphs come back identical", () => {
    const kinds = ["generate_copy", "review", "parallel", "merge"] as const;
    const config = (kind: (typeof kinds)[number], i: number) =>
      kind === "generate_copy"
        ? { prompt_template: `Write ad ${i} about {{ topic }}`, quantity: (i % 3) + 1 }
        : kind === "review"
          ? { instructions: `Check ${i}` }
          : {};
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), x: fc.integer(), y: fc.integer() }), {
          minLength: 1,
          maxLength: 7,
        }),
        fc.array(fc.tuple(fc.nat(), fc.nat())),
        (specs, pairs) => {
          const nodes = specs.map((s, i) => ({
            id: `n${i}`,
            node_type: s.kind,
            label: `Node ${i}`,
            config: config(s.kind, i),
            position_x: s.x,
            position_y: s.y,
          }));
          // Edges only forwards: a DAG.
          const seen = new Set<string>();
          const edges = pairs.flatMap(([a, b]) => {
            const from = a % nodes.length;
            const to = b % nodes.length;
            if (from >= to || seen.has(`${from}-${to}`)) return [];
            seen.add(`${from}-${to}`);
            return [{ id: `e${from}-${to}`, source: `n${from}`, target: `n${to}` }];
          });
          const json = {
            name: "Generated",
            description: "g",
            category: "paid-ads",
            default_params: { topic: "t" },
            nodes,
            edges,
          };
          const source = templateSource(json);
          const workflow = read(source);
          expect(templateFields(mustGraph(templateGraph(source, "json", workflow)))).toEqual(json);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("a weft definition → seed 000 JSON → weft", () => {
  it.each(builtIn.map((f) => path.relative(repoRoot, f)))("%s keeps its workflow hash", (rel) => {
    const text = readFileSync(path.join(repoRoot, rel), "utf8");
    const workflow = read(text, rel);
    const graph = mustGraph(templateGraph(text, "yaml", workflow, stepTypes));
    expect(workflowHash(readGraph(graph))).toBe(workflowHash(workflow));
    expect(graph.nodes.map((n) => n.id)).toEqual(workflow.steps.map((s) => s.id));
  });

  it("writes seed 000 node types where a step is one, with its settings under seed 000's names", () => {
    const text = readFileSync(path.join(repoRoot, "templates/marketing/facebook-ads-campaign.yaml"), "utf8");
    const workflow = read(text, "facebook-ads-campaign.yaml");
    const graph = mustGraph(templateGraph(text, "yaml", workflow, stepTypes));
    const types = new Set(graph.nodes.map((n) => n.node_type));
    for (const t of ["generate_copy", "generate_image", "attach_to_document", "review"]) expect(types).toContain(t);
    const image = graph.nodes.find((n) => n.node_type === "generate_image");
    expect(image?.config).toHaveProperty("prompt_template");
    expect(image?.config).not.toHaveProperty("prompt");
    const attach = graph.nodes.find((n) => n.node_type === "attach_to_document");
    expect(["single_to_single", "single_to_multiple", "multiple_to_single"]).toContain(
      (attach?.config as { strategy?: string } | undefined)?.strategy,
    );
    // default_params: every argument's default.
    expect(graph.default_params.product).toBe("Driftwood, a contoured sleep mask that blocks 100% of light");
  });

  it("carries ui.positions as position_x / position_y, an on_failure edge as `on`, an if as the node's", () => {
    const text = `name: Positions
steps:
  - { id: build, type: script, command: "make", retry: { maxAttempts: 3, delay: 2s }, timeout: 5m }
  - { id: tell, type: noop, needs: [{ step: build, on: failure }] }
  - { id: ship, type: approval, needs: [build], if: "args.go", message: Ship?, timeout: 1h, onTimeout: approve }
ui:
  positions: { build: { x: 10, y: 20 }, ship: { x: 300, y: 20 } }
`;
    const workflow = read(text, "p.yaml");
    const graph = mustGraph(templateGraph(text, "yaml", workflow, stepTypes));
    expect(graph.nodes[0]).toMatchObject({ id: "build", node_type: "script", position_x: 10, position_y: 20 });
    expect(graph.nodes[1]).not.toHaveProperty("position_x");
    expect(graph.nodes[2]).toMatchObject({
      node_type: "review",
      if: "args.go",
      config: { instructions: "Ship?", auto_approve_after: "1h" },
    });
    expect(graph.edges).toContainEqual({ id: "build->tell", source: "build", target: "tell", on: "failure" });
    expect(workflowHash(readGraph(graph))).toBe(workflowHash(workflow));
  });

  it("the seeds' own example files keep their hash (seed 003's placeholders too)", () => {
    const dir = path.join(repoRoot, "examples/seed-dialects");
    for (const file of ["code-review-workflow.yaml", "simple-pipeline.yaml"]) {
      const text = readFileSync(path.join(dir, file), "utf8");
      const workflow = read(text, file);
      const graph = mustGraph(templateGraph(text, "yaml", workflow, stepTypes));
      expect(workflowHash(readGraph(graph))).toBe(workflowHash(workflow));
    }
  });

  it("generated canonical workflows keep their hash", () => {
    const step = fc.record({
      type: fc.constantFrom("agent", "script", "noop", "approval", "sleep"),
      needs: fc.array(fc.tuple(fc.nat(), fc.constantFrom("success", "failure", "always")), { maxLength: 3 }),
      cond: fc.option(fc.constantFrom("args.go", "!(args.go)", "steps.s0.status == 'completed'"), { nil: undefined }),
      fan: fc.option(fc.constantFrom("range(3)", "args.items"), { nil: undefined }),
      optional: fc.boolean(),
      priority: fc.integer({ min: -5, max: 5 }),
      retries: fc.option(fc.integer({ min: 2, max: 5 }), { nil: undefined }),
      phase: fc.option(fc.constantFrom("plan", "build"), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.boolean(), (specs, copies) => {
        const steps = specs.map((s, i) => {
          const out: Record<string, unknown> = { id: `s${i}`, type: s.type };
          const needs = s.needs.filter(([n]) => n % (i + 1) < i).map(([n, on]) => ({ step: `s${n % (i + 1)}`, on }));
          const unique = needs.filter((d, j) => needs.findIndex((e) => e.step === d.step) === j);
          out.needs = unique;
          if (s.cond && i > 0) out.if = s.cond;
          if (s.fan) out.foreach = s.fan;
          if (s.optional) out.optional = true;
          if (s.priority) out.priority = s.priority;
          if (s.retries) out.retry = { maxAttempts: s.retries, delay: "1500ms" };
          if (s.phase) out.phase = s.phase;
          if (s.type === "agent") {
            Object.assign(out, { agent: "copywriter", prompt: "Write about {{ args.topic }}" });
            if (copies) Object.assign(out, { document: `doc-${i}`, system: "Be brief." });
          }
          if (s.type === "script") out.command = "echo hi";
          if (s.type === "approval") out.message = "OK?";
          if (s.type === "sleep") out.duration = "1s";
          return out;
        });
        const def = {
          name: "Generated",
          argsSchema: {
            type: "object",
            properties: { topic: { type: "string", default: "t" }, go: { type: "boolean" }, items: { type: "array" } },
          },
          steps,
        };
        const parsed = parseWorkflow(JSON.stringify(def), { file: "g.json", stepTypes });
        if (!parsed.workflow) return; // a generated definition weft refuses (e.g. `index` outside a foreach)
        const graph = mustGraph(graphOfWorkflow(parsed.workflow, new Map(), stepTypes));
        expect(workflowHash(readGraph(graph))).toBe(workflowHash(parsed.workflow));
      }),
      { numRuns: 80 },
    );
  });

  it("names the step and field a seed 000 template cannot carry", () => {
    const workflow = read("name: W\nsteps:\n  - { id: a, type: noop }\n", "w.yaml");
    // A TypeScript workflow is code.
    const ts = templateGraph("export default {}", "ts", workflow);
    expect(ts.problems?.[0]).toMatchObject({ field: "format" });
    // An approval's `timeoutMs` (seed 003's spelling) is a step deadline a review node cannot say.
    const approval = read(`name: A\nsteps:\n  - { id: ok, type: approval, message: Go?, timeoutMs: 5000 }\n`, "a.yaml");
    const p = graphOfWorkflow(approval);
    expect(p.problems).toContainEqual(expect.objectContaining({ step: "ok", field: "timeoutMs" }));
    // Nodes the seed 000 reader refuses (a workflow object no file gives: `index` outside a foreach) name the step.
    const fan = read(
      `name: F\nsteps:\n  - { id: x, type: agent, agent: a, prompt: "n {{ index }}", foreach: "range(2)" }\n`,
      "f.yaml",
    );
    const broken = { ...fan, steps: fan.steps.map(({ foreach: _f, ...st }) => st) };
    expect(graphOfWorkflow(broken).problems).toContainEqual(
      expect.objectContaining({ step: "x", field: "nodes", message: expect.stringMatching(/uses `index`/) }),
    );
  });
});
