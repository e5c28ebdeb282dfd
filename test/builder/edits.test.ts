/** The document model's edits, one by one, in each dialect; the server's parser judges the result. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseWorkflow, workflowHash } from "../../src/definition/index.js";
import {
  addStep,
  type BuilderGraph,
  connect,
  disconnect,
  readGraph,
  removeStep,
  renameStep,
  type StepTypeTable,
  setEdgeOn,
  setPositions,
  setStepField,
  stepAt,
} from "../../web/src/builder/doc/index.js";
import { repoRoot } from "../definition/helpers.js";

const read = (rel: string) => readFileSync(path.join(repoRoot, rel), "utf8");
const facebook = read("templates/marketing/facebook-ads-campaign.yaml");
const hello = read("examples/hello.yaml");
const approval = read("examples/approval.yaml");
const seed001 = read("examples/seed-dialects/bug-lifecycle-excerpt.yaml");
const seed002 = read("examples/seed-dialects/simple-pipeline.yaml");
const seed003 = read("examples/seed-dialects/code-review-workflow.yaml");

function parsed(text: string) {
  const r = parseWorkflow(text, { file: "wf.yaml" });
  const errors = r.issues.filter((i) => i.severity === "error");
  if (!r.workflow)
    throw new Error(errors.map((e) => `${e.location.line}:${e.location.column} ${e.message}`).join("\n"));
  return r.workflow;
}
const needsOf = (text: string, id: string) =>
  parsed(text)
    .steps.find((s) => s.id === id)
    ?.needs.map((n) => `${n.step}:${n.on}`);
function graphOf(text: string, table?: StepTypeTable): BuilderGraph {
  const r = readGraph(text, table);
  if (!r.ok) throw new Error(r.problems[0]?.message);
  return r.graph;
}
const edges = (g: BuilderGraph) => g.edges.map((e) => `${e.from}->${e.to}:${e.on}${e.implicit ? " (implicit)" : ""}`);
/** Comment lines of a text. */
const comments = (text: string) => text.split("\n").filter((l) => l.trim().startsWith("#"));

const TABLE: StepTypeTable = {
  types: [
    { type: "agent", inferred_from: ["agent", "prompt"] },
    { type: "script", inferred_from: ["command"] },
    { type: "approval", inferred_from: [] },
    { type: "noop", inferred_from: [] },
  ],
  node_types: [
    { name: "generate_copy", type: "agent" },
    { name: "review", type: "approval" },
    { name: "conditional", type: "noop" },
  ],
};

describe("readGraph", () => {
  it("infers types with the server's table and marks written ones", () => {
    const g = graphOf(hello, TABLE);
    expect(g.steps.map((s) => `${s.id}:${s.type}:${s.typeWritten}`)).toEqual([
      "research:agent:false",
      "facts:script:false",
      "check-style:agent:false",
      "check-facts:script:false",
      "write-up:agent:false",
    ]);
    expect(graphOf(hello).steps[0]?.type).toBe("");
    expect(g.args).toEqual(["topic"]);
    expect(g.phases).toEqual(["research", "review", "publish"]);
    const facts = g.steps[1]!;
    expect(facts.config).toEqual({
      command: `echo "researched {{ args.topic }}" && printf '%s\\n' one two three`,
    });
    expect(facts.raw.retry).toEqual({ maxAttempts: 3, delay: "200ms" });
  });

  it("reads seed 001 (wrapped, on_success / on_failure, condition) and seed 003 (key, dependencies)", () => {
    const g1 = graphOf(seed001, TABLE);
    expect(g1.dialect).toBe("seed-001");
    expect(g1.name).toBe("Bug Lifecycle");
    expect(edges(g1)).toEqual(["triage->assign:success", "assign->fix:success"]); // notify_team does not exist
    expect(g1.steps[1]?.if).toBe("{{steps.triage.output.severity}} > 3");
    const g3 = graphOf(seed003, TABLE);
    expect(g3.dialect).toBe("seed-003");
    expect(g3.steps.map((s) => s.id)).toEqual(["parse-changes", "security-scan", "quality-check", "generate-report"]);
    expect(g3.steps[1]?.config).toEqual({
      agent: "security",
      prompt: "Scan {{parse-changes.functions}} for security vulnerabilities",
    });
  });

  it("shows a file-order workflow's edges as implicit", () => {
    const g = graphOf(seed002);
    expect(g.dialect).toBe("seed-002");
    expect(edges(g)).toEqual([
      "install-deps->build-app:success (implicit)",
      "build-app->run-tests:success (implicit)",
      "run-tests->deploy:success (implicit)",
    ]);
  });

  it("merges success and failure edges into always, as the engine does", () => {
    const text = connect(
      connect(approval, "build", "notify-rejected", "success"),
      "build",
      "notify-rejected",
      "failure",
    );
    expect(edges(graphOf(text))).toContain("build->notify-rejected:failure");
    const both = setEdgeOn(text, "build", "notify-rejected", "always");
    expect(needsOf(both, "notify-rejected")).toEqual(["sign-off:failure", "build:always"]);
  });

  it("reports syntax errors at their line and column", () => {
    const r = readGraph("name: x\nsteps:\n  - id: a\n    needs: [b\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ line: 5, column: 1 });
    const r2 = readGraph("- just\n- a list\n");
    expect(r2.ok).toBe(false);
  });

  it("stepAt finds the step at a line and column", () => {
    const g = graphOf(hello);
    expect(stepAt(g, 14, 5)).toBe("research");
    expect(stepAt(g, 17, 10)).toBe("research");
    expect(stepAt(g, 19, 3)).toBe("facts");
    expect(stepAt(g, 4, 1)).toBeUndefined();
    const facts = g.steps[1]!;
    expect(hello.slice(facts.span.start, facts.span.end)).toBe(
      hello.slice(hello.indexOf("- id: facts"), hello.indexOf("200ms }") + "200ms }".length),
    );
  });
});

describe("removeStep", () => {
  it("removes the step, the edges to and from it, and its position; comments elsewhere stay", () => {
    const out = removeStep(hello, "check-style");
    const wf = parsed(out);
    expect(wf.steps.map((s) => s.id)).toEqual(["research", "facts", "check-facts", "write-up"]);
    expect(out).toContain("    needs: [check-facts]\n");
    expect(needsOf(out, "write-up")).toEqual(["check-facts:success"]);
    expect(comments(out)).toEqual(comments(hello));
    // Only the step's lines went.
    expect(out).toBe(
      hello
        .replace(/ {2}- id: check-style\n(?: {4}.*\n)+\n/, "")
        .replace("[check-style, check-facts]", "[check-facts]"),
    );
    const positioned = setPositions(hello, { facts: { x: 1, y: 2 }, research: { x: 3, y: 4 } });
    expect(graphOf(removeStep(positioned, "facts")).positions).toEqual({ research: { x: 3, y: 4 } });
    expect(graphOf(removeStep(removeStep(positioned, "facts"), "research")).positions).toEqual({});
  });

  it("adds positions to an existing ui block one step at a time, as the canvas does", () => {
    let out = hello;
    const placed: Record<string, { x: number; y: number }> = {};
    for (const [i, id] of ["facts", "research", "check-style"].entries()) {
      placed[id] = { x: i * 10, y: i * 20 };
      out = setPositions(out, { [id]: placed[id] as { x: number; y: number } });
      expect(parsed(out).steps.length).toBe(parsed(hello).steps.length);
      expect(graphOf(out).positions).toEqual(placed);
    }
  });

  it("keeps `needs: []` when the last dependency goes, so the workflow does not turn into file order", () => {
    const text =
      "name: t\nsteps:\n  - id: a\n    command: a\n  - id: b\n    command: b\n  - id: c\n    needs: a\n    command: c\n";
    const out = removeStep(text, "a");
    expect(out).toBe("name: t\nsteps:\n  - id: b\n    command: b\n  - id: c\n    needs: []\n    command: c\n");
    expect(needsOf(out, "c")).toEqual([]);
  });

  it("removes an on_failure handler and the on_failure naming it", () => {
    const out = removeStep(facebook, "record-feedback");
    expect(out).not.toContain("record-feedback");
    expect(out).toContain("    onTimeout: reject\n\n  - id: launch-manifest");
    const before = parsed(facebook);
    const after = parsed(out);
    expect(after.steps.map((s) => s.id)).toEqual(
      before.steps.map((s) => s.id).filter((id) => id !== "record-feedback"),
    );
    expect(comments(out)).toEqual(comments(facebook));
  });

  it("writes an anchored value out at its first use when the step defining the anchor goes", () => {
    const before = graphOf(facebook);
    const copywriter = before.steps.find((s) => s.id === "write-ads")?.raw.system;
    const out = removeStep(facebook, "write-ads");
    const after = graphOf(out);
    expect(after.steps.find((s) => s.id === "revise-ads")?.raw.system).toBe(copywriter);
    expect(after.steps.find((s) => s.id === "record-feedback")?.raw.system).toBe(copywriter);
    expect(out).toContain("    system: &copywriter |\n      You are a senior direct-response copywriter");
    expect(out.match(/\*copywriter/g)).toHaveLength(1);
    // The other steps still parse the same, apart from their references to write-ads.
    const errors = parseWorkflow(out, { file: "wf.yaml" }).issues.filter((i) => i.severity === "error");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.message.includes("write-ads"))).toBe(true);
    // (The removed step's prompt held the four `## …` lines.)
    expect(comments(out)).toEqual(comments(facebook).filter((l) => !l.startsWith("      ## ")));
  });

  it("refuses when the anchored value is used inside a flow mapping", () => {
    const text =
      "name: t\nsteps:\n  - id: a\n    command: &cmd echo hi\n  - id: b\n    needs: a\n    env: { X: *cmd }\n    command: echo b\n";
    expect(() => removeStep(text, "a")).toThrow(/anchor `&cmd`/);
  });

  it("removes a seed 001 step and the on_success naming it", () => {
    const out = removeStep(seed001, "fix");
    expect(out).not.toContain('"fix"');
    expect(out).toContain('on_success: "assign"');
    expect(graphOf(out).steps.map((s) => s.id)).toEqual(["triage", "assign"]);
  });

  it("removes the only step: an empty list", () => {
    const out = removeStep("name: t\nsteps:\n  - id: a\n    command: a\n", "a");
    expect(out).toBe("name: t\nsteps: []\n");
  });
});

describe("renameStep", () => {
  it("renames the step and every reference: needs, expressions, positions", () => {
    const out = renameStep(facebook, "brand-review", "brand-check");
    const wf = parsed(out);
    const before = parsed(facebook);
    expect(out).not.toMatch(/brand-review\b(?!er)/);
    expect(wf.steps.map((s) => s.id)).toEqual(
      before.steps.map((s) => (s.id === "brand-review" ? "brand-check" : s.id)),
    );
    expect(needsOf(out, "approve-launch")).toEqual(["brand-check:success", "attach-revised:always"]);
    expect(wf.steps.find((s) => s.id === "revise-ads")?.if).toBe("steps.brand-check.output.verdict == 'revise'");
    expect(comments(out)).toEqual(comments(facebook));
    expect(renameStep(out, "brand-check", "brand-review")).toBe(facebook);
    const positioned = setPositions(facebook, { "brand-review": { x: 0, y: 0 } });
    expect(graphOf(renameStep(positioned, "brand-review", "brand-check")).positions).toEqual({
      "brand-check": { x: 0, y: 0 },
    });
  });

  it("renames seed 003 keys, dependencies and bare references ({{parse-changes.functions}})", () => {
    const out = renameStep(seed003, "parse-changes", "parse");
    expect(out).toContain('- key: "parse"');
    expect(out).toContain('dependencies: ["parse"]');
    expect(out).toContain("Scan {{parse.functions}} for");
    expect(out).toContain("in {{filePath}} and"); // not a step
    expect(parsed(out).steps.map((s) => s.id)[0]).toBe("parse");
  });

  it("leaves string literals and other names alone", () => {
    const text =
      "name: t\nsteps:\n  - id: a\n    command: a\n  - id: b\n    needs: a\n    if: \"steps.a.output == 'a' && a.x\"\n    command: echo a {{ a }} {{ 'a' }} {{ data.a }}\n";
    const out = renameStep(text, "a", "z");
    expect(out).toBe(
      "name: t\nsteps:\n  - id: z\n    command: a\n  - id: b\n    needs: z\n    if: \"steps.z.output == 'a' && z.x\"\n    command: echo a {{ z }} {{ 'a' }} {{ data.a }}\n",
    );
  });

  it("refuses a taken or malformed id", () => {
    expect(() => renameStep(hello, "facts", "research")).toThrow(/already exists/);
    expect(() => renameStep(hello, "facts", "1 facts")).toThrow(/may contain only/);
  });
});

describe("edges", () => {
  it("connect writes `needs` in the canonical dialect, extending a scalar to a list", () => {
    const out = connect(hello, "research", "check-style", "success");
    expect(out).toContain("    needs: [facts, research]\n");
    expect(needsOf(out, "check-style")).toEqual(["facts:success", "research:success"]);
    const fail = connect(hello, "research", "check-facts", "failure");
    expect(fail).toContain("    needs: [facts, { step: research, on: failure }]\n");
  });

  it("connect on seed 003 writes `dependencies`, on seed 001 `on_success` / `on_failure` on the source", () => {
    const out3 = connect(seed003, "security-scan", "quality-check", "success");
    expect(out3).toContain('dependencies: ["parse-changes", security-scan]');
    expect(needsOf(out3, "quality-check")).toEqual(["parse-changes:success", "security-scan:success"]);
    const out1 = connect(seed001, "assign", "triage", "failure");
    expect(out1).toContain("on_failure: triage");
    const always = connect(seed001, "triage", "fix", "always");
    expect(always).toContain('on_success: ["assign", fix]');
    expect(always).toContain('on_failure: ["notify_team", fix]');
    expect(edges(graphOf(always))).toContain("triage->fix:always");
  });

  it("disconnect removes the dependency however it is written", () => {
    const out = disconnect(hello, "check-facts", "write-up");
    expect(out).toContain("    needs: [check-style]\n");
    expect(needsOf(out, "write-up")).toEqual(["check-style:success"]);
    const out1 = disconnect(seed001, "triage", "assign");
    expect(out1).not.toContain('on_success: "assign"');
    expect(edges(graphOf(out1))).toEqual(["assign->fix:success"]);
    const out3 = disconnect(seed003, "security-scan", "generate-report");
    expect(out3).toContain('dependencies: ["quality-check"]');
  });

  it("an edge edit in a file-order workflow writes the order out first (nothing else changes)", () => {
    const before = parsed(seed002);
    const out = disconnect(seed002, "build-app", "run-tests");
    const after = parsed(out);
    expect(after.steps.map((s) => `${s.id}:${s.needs.map((n) => n.step)}`)).toEqual([
      "install-deps:",
      "build-app:install-deps",
      "run-tests:",
      "deploy:run-tests",
    ]);
    // Writing the order out alone changes no dependency: connect an edge that exists.
    const same = connect(seed002, "install-deps", "build-app", "success");
    expect(workflowHash(parsed(same))).toBe(workflowHash(before));
    expect(comments(same)).toEqual(comments(seed002));
  });

  it("setEdgeOn rewrites a needs item in place", () => {
    const out = setEdgeOn(facebook, "plan-angles", "write-ads", "failure");
    expect(out).toContain("    needs: [{ step: plan-angles, on: failure }]\n");
    expect(setEdgeOn(out, "plan-angles", "write-ads", "success")).toContain("    needs: [plan-angles]\n");
    const list = setEdgeOn(facebook, "attach-revised", "approve-launch", "success");
    expect(list).toContain("    needs: [brand-review, attach-revised]\n");
    expect(() => setEdgeOn(facebook, "plan-angles", "brand-review", "always")).toThrow(/does not depend/);
  });

  it("refuses unknown steps and self-loops", () => {
    expect(() => connect(hello, "nope", "facts", "success")).toThrow(/no step has the id `nope`/);
    expect(() => connect(hello, "facts", "facts", "success")).toThrow(/itself/);
  });
});

describe("setStepField", () => {
  it("sets, adds and deletes keys in the step's own style", () => {
    let out = setStepField(hello, "research", "prompt", "Line one\nLine two\n");
    expect(out).toContain("    prompt: |\n      Line one\n      Line two\n\n  - id: facts");
    out = setStepField(out, "research", "agent", undefined);
    expect(out).not.toContain("agent: researcher");
    out = setStepField(out, "facts", "retry", { maxAttempts: 5 });
    expect(out).toContain("    retry:\n      maxAttempts: 5\n");
    out = setStepField(out, "write-up", "model", "claude-sonnet");
    expect(out).toMatch(/prompt: "Write a short post.*"\n {4}model: claude-sonnet\n$/);
    const wf = parsed(out);
    expect(wf.steps[0]?.config).toEqual({ prompt: "Line one\nLine two\n" });
    expect(comments(out)).toEqual(comments(hello));
  });

  it("keeps a value's anchor when the value changes, and replaces an alias by the value", () => {
    const out = setStepField(facebook, "write-ads", "system", "You write ads.\nShort ones.\n");
    expect(out).toContain("    system: &copywriter |\n      You write ads.\n      Short ones.\n    prompt: |");
    const g = graphOf(out);
    expect(g.steps.find((s) => s.id === "revise-ads")?.raw.system).toBe("You write ads.\nShort ones.\n");
    const own = setStepField(facebook, "revise-ads", "system", "Rewrite.");
    expect(own).toContain("    system: Rewrite.\n");
    expect(graphOf(own).steps.find((s) => s.id === "record-feedback")?.raw.system).toMatch(/^You are a senior/);
  });

  it("writes a condition as `condition` in the seed dialects that spell it so", () => {
    const out = setStepField(seed003, "quality-check", "if", "args.deep");
    expect(out).toContain("    condition: args.deep\n");
    expect(parsed(out).steps.find((s) => s.id === "quality-check")?.if).toBe("args.deep");
  });
});

describe("addStep", () => {
  it("starts a list in a new workflow", () => {
    const out = addStep("name: New workflow\nsteps: []\n", { id: "first", type: "agent", config: { agent: "writer" } });
    expect(out).toBe("name: New workflow\nsteps:\n  - id: first\n    type: agent\n    agent: writer\n");
    const two = addStep(out, { id: "second", type: "noop" }, { x: 10.4, y: 20 });
    expect(two).toBe(
      "name: New workflow\nsteps:\n  - id: first\n    type: agent\n    agent: writer\n  - id: second\n    type: noop\nui:\n  positions:\n    second: { x: 10, y: 20 }\n",
    );
  });

  it("starts from nothing: an empty text is an empty workflow, and the first step starts `steps:`", () => {
    expect(graphOf("").steps).toEqual([]);
    expect(graphOf("# new\n").steps).toEqual([]);
    const out = addStep("# new\n", { id: "first", type: "noop", name: "First" }, { x: 1, y: 2 });
    expect(out).toBe(
      "# new\nsteps:\n  - id: first\n    name: First\n    type: noop\nui:\n  positions:\n    first: { x: 1, y: 2 }\n",
    );
    expect(graphOf(out).steps.map((s) => s.id)).toEqual(["first"]);
  });

  it("writes `key:` in a seed 003 document", () => {
    const out = addStep(seed003, { id: "summary", type: "noop" });
    expect(out.endsWith("\n\n  - key: summary\n    type: noop\n")).toBe(true);
  });

  it("keeps a JSON document JSON", () => {
    const json = JSON.stringify({ name: "j", steps: [{ id: "a", command: "echo a" }] }, null, 2);
    let out = addStep(json, { id: "b", type: "noop" });
    out = connect(out, "a", "b", "success");
    out = setPositions(out, { a: { x: 1, y: 2 } });
    const value = JSON.parse(out);
    expect(value.steps[1]).toEqual({ id: "b", type: "noop", needs: "a" });
    expect(value.ui).toEqual({ positions: { a: { x: 1, y: 2 } } });
  });

  it("refuses a duplicate id", () => {
    expect(() => addStep(hello, { id: "facts", type: "noop" })).toThrow(/already exists/);
  });
});

describe("seed 000 (nodes and edges)", () => {
  const seed000 = `name: Facebook Ads Campaign
category: paid-ads
default_params: { topic: "Summer sale", copy_quantity: 10 }
nodes:
  - id: copies
    node_type: generate_copy        # \`type:\` accepted too
    label: Generate ad copy
    config: { prompt_template: "Write an ad about {{ args.topic }}", quantity: 10, temperature: 0.7 }
    position: { x: 0, y: 0 }        # or position_x / position_y
  - { id: check, node_type: review, label: Brand review, config: { instructions: "Check voice" } }
edges:
  - { source: copies, target: check }          # \`sourceHandle: "true"|"false"\` from a conditional
`;

  it("reads nodes, their types through node_types, edges and positions", () => {
    const g = graphOf(seed000, TABLE);
    expect(g.dialect).toBe("seed-000");
    expect(g.args).toEqual(["topic", "copy_quantity"]);
    expect(g.steps.map((s) => `${s.id}:${s.type}:${s.nodeType}:${s.name}`)).toEqual([
      "copies:agent:generate_copy:Generate ad copy",
      "check:approval:review:Brand review",
    ]);
    expect(g.steps[1]?.config).toEqual({ instructions: "Check voice" });
    expect(edges(g)).toEqual(["copies->check:success"]);
    expect(g.positions).toEqual({ copies: { x: 0, y: 0 } });
  });

  it("adds a node, connects it with an edge item, moves nodes, renames and removes", () => {
    let out = addStep(
      seed000,
      { id: "branch", type: "noop", nodeType: "conditional", name: "Long enough?" },
      { x: 5, y: 6 },
    );
    expect(out).toContain(
      "  - id: branch\n    node_type: conditional\n    label: Long enough?\n    position:\n      x: 5\n      y: 6\n",
    );
    out = connect(out, "check", "branch", "success");
    expect(out).toContain("  - { source: check, target: branch }\n");
    out = setPositions(out, { check: { x: 100, y: 50 }, copies: { x: 1, y: 2 } });
    expect(out).toContain("    position: { x: 1, y: 2 }        # or position_x / position_y\n");
    expect(out).toContain(
      'label: Brand review, config: { instructions: "Check voice" }, position: { x: 100, y: 50 } }',
    );
    expect(graphOf(out, TABLE).positions).toEqual({
      copies: { x: 1, y: 2 },
      check: { x: 100, y: 50 },
      branch: { x: 5, y: 6 },
    });
    out = setStepField(out, "copies", "temperature", 0.2);
    expect(out).toContain("quantity: 10, temperature: 0.2 }");
    out = setStepField(out, "check", "name", "Voice review");
    expect(out).toContain("label: Voice review,");
    out = renameStep(out, "check", "voice");
    expect(edges(graphOf(out))).toEqual(["copies->voice:success", "voice->branch:success"]);
    out = removeStep(out, "voice");
    expect(edges(graphOf(out))).toEqual([]);
    expect(out).toContain("edges: []");
    expect(comments(out)).toEqual([]);
    expect(out).toContain("# `type:` accepted too");
  });

  it("connects a conditional's false branch as an edge with its sourceHandle, which the server reads as if: !(…)", () => {
    let out = addStep(seed000, { id: "long", type: "noop", nodeType: "conditional", name: "Long enough?" });
    out = setStepField(out, "long", "condition", "args.copy_quantity > 5");
    out = addStep(out, {
      id: "short",
      type: "agent",
      nodeType: "generate_copy",
      name: "Short copy",
      config: { prompt_template: "Write one short line." },
    });
    out = connect(out, "check", "long", "success");
    out = connect(out, "long", "short", "success", "false");
    expect(out).toContain('  - { source: long, target: short, sourceHandle: "false" }\n');
    expect(graphOf(out, TABLE).edges.find((e) => e.to === "short")).toMatchObject({ from: "long", handle: "false" });
    const short = parsed(out).steps.find((x) => x.id === "short");
    expect(short?.if).toContain("!(");
    expect(() => connect(hello, "facts", "research", "success", "true")).toThrow(/seed 000 conditional/);
  });

  it("reads React Flow's shape (node_id, data.label, data.config) and a merge's incoming edges as always", () => {
    const flow = `name: Branches
nodes:
  - node_id: start
    node_type: conditional
    data: { label: Long enough?, config: { condition: "{{ args.long }}" } }
  - { node_id: a, node_type: generate_copy, data: { label: Long copy } }
  - { node_id: b, node_type: generate_copy, data: { label: Short copy } }
  - { node_id: join, node_type: merge, data: { label: Join } }
  - { node_id: attach, node_type: attach_to_document, data: { config: { source_nodes: [a, b] } } }
edges:
  - { id: e1, source: start, target: a, sourceHandle: "true" }
  - { id: e2, source: start, target: b, sourceHandle: "false" }
  - { source: a, target: join }
  - { source: b, target: join }
  - { source: join, target: attach }
`;
    const g = graphOf(flow, TABLE);
    expect(g.steps.map((s) => `${s.id}:${s.name}`)).toEqual([
      "start:Long enough?",
      "a:Long copy",
      "b:Short copy",
      "join:Join",
      "attach:undefined",
    ]);
    expect(g.steps[0]?.config).toEqual({ condition: "{{ args.long }}" });
    expect(g.edges.map((e) => `${e.from}->${e.to}:${e.on}:${e.handle}`)).toEqual([
      "start->a:success:true",
      "start->b:success:false",
      "a->join:always:undefined",
      "b->join:always:undefined",
      "join->attach:success:undefined",
    ]);
    // Labels and config stay under `data`; renaming follows node_id, edges and source_nodes.
    let out = setStepField(flow, "a", "name", "Long ad");
    expect(out).toContain("data: { label: Long ad } }");
    out = setStepField(out, "a", "temperature", 0.3);
    expect(out).toContain("data: { label: Long ad, config: { temperature: 0.3 } } }");
    out = renameStep(out, "a", "long");
    expect(out).toContain("- { node_id: long, node_type: generate_copy,");
    expect(out).toContain("source_nodes: [long, b]");
    expect(out).toContain('{ id: e1, source: start, target: long, sourceHandle: "true" }');
    // Edges of this dialect have no condition: into a merge always, elsewhere on success.
    expect(() => connect(out, "start", "attach", "failure")).toThrow(/fires on success/);
    expect(() => setEdgeOn(out, "long", "join", "success")).toThrow(/merge node/);
    expect(connect(out, "start", "join", "always")).toContain("  - { source: start, target: join }\n");
  });
});
