/**
 * The editor schema agrees with the parser (with the built-in step types registered), key by key and both ways:
 * each case is a workflow that both accept or both refuse. What the schema restates of the readers' code (ranges,
 * the duration grammar, which keys go together) is held to it here. The last table lists what only the parser
 * can refuse, so a change that makes the schema stricter or looser there shows up too.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DURATION_PATTERN, parseDuration, ZERO_DURATION_PATTERN } from "../../src/core/duration.js";
import { parseWorkflow } from "../../src/definition/index.js";
import { createStepTypeRegistry } from "../../src/steps/registry.js";
import { errorsOf } from "./helpers.js";
import { compileSchema } from "./schema-helpers.js";

const stepTypes = createStepTypeRegistry();
const validate = compileSchema();

type Doc = Record<string, unknown>;
const A = { id: "a", command: "echo a" };
/** A workflow with `patch` over its top level. */
const top = (patch: Doc): Doc => ({ name: "x", steps: [A], ...patch });
/** A workflow whose second step `b` (after `a`) has `patch` over `{ id: b, command: … }`. */
const step = (patch: Doc, base: Doc = { id: "b", command: "echo b" }): Doc => ({
  name: "x",
  steps: [A, { ...base, ...patch }],
});
const without = (obj: Doc, key: string): Doc => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
const agent = { agent: "writer", prompt: "Write." };
/** A seed 000 template with one node. */
const seed000 = (patch: Doc = {}, node: Doc = {}): Doc => ({
  name: "x",
  nodes: [{ id: "copy", node_type: "generate_copy", config: { prompt_template: "Write." }, ...node }],
  ...patch,
});

const parserAccepts = (doc: Doc) =>
  errorsOf(parseWorkflow(JSON.stringify(doc), { file: "wf.json", stepTypes }).issues).length === 0;

/** [what, workflow, both accept it]. */
const CASES: [string, Doc, boolean][] = [
  ["the base workflow", top({}), true],
  // top level
  ["an unknown top-level key", top({ timeot: "5m" }), false],
  ["no name", without(top({}), "name"), false],
  ["an empty name", top({ name: " " }), false],
  ["a name that is a number", top({ name: 5 }), false],
  ["no steps", without(top({}), "steps"), false],
  ["steps: 5", top({ steps: 5 }), false],
  ["steps: []", top({ steps: [] }), false],
  ["a step that is a string", top({ steps: ["a"] }), false],
  ["version 1.0 unquoted", top({ version: 1 }), true],
  ["version as a list", top({ version: [1] }), false],
  ["tags: one string", top({ tags: "a" }), true],
  ["tags: a number in the list", top({ tags: ["a", 1] }), false],
  ["phases listed twice", top({ phases: ["a", "a"] }), false],
  ["phases", top({ phases: ["a", "b"] }), true],
  ["parallelism 0", top({ parallelism: 0 }), false],
  ["parallelism 1.5", top({ parallelism: 1.5 }), false],
  ["parallelism 1", top({ parallelism: 1 }), true],
  ["checkpoints keep 3", top({ checkpoints: { keep: 3 } }), true],
  ["checkpoints keep 0", top({ checkpoints: { keep: 0 } }), false],
  ["checkpoints keep 1.5", top({ checkpoints: { keep: 1.5 } }), false],
  ["checkpoints without keep", top({ checkpoints: {} }), false],
  ["checkpoints with an unknown key", top({ checkpoints: { keep: 2, every: 5 } }), false],
  ["mode: parallel", top({ mode: "parallel" }), false],
  ["mode: dag", top({ mode: "dag" }), true],
  ["args and argsSchema both", top({ args: { type: "object" }, argsSchema: { type: "object" } }), false],
  ["argsSchema a list", top({ argsSchema: [] }), false],
  ["args (alias)", top({ args: { type: "object" } }), true],
  ["$schema", top({ $schema: "./schema.json" }), true],
  // durations (the top-level timeout)
  ["timeout: soon", top({ timeout: "soon" }), false],
  ["timeout: 0", top({ timeout: 0 }), false],
  ["timeout: 0s", top({ timeout: "0s" }), false],
  ["timeout: 0.4 (rounds to 0 ms)", top({ timeout: 0.4 }), false],
  ["timeout: 0.5", top({ timeout: 0.5 }), true],
  ["timeout: -1", top({ timeout: -1 }), false],
  ["timeout: 1h30m", top({ timeout: "1h30m" }), true],
  ["timeout: ' 1.5s '", top({ timeout: " 1.5s " }), true],
  ["timeout: '5m 30s'", top({ timeout: "5m 30s" }), true],
  ["timeout: a tab between parts", top({ timeout: "5m\t30s" }), false],
  ["timeout: '300000'", top({ timeout: "300000" }), true],
  ["timeout: 5 minutes", top({ timeout: "5 minutes" }), false],
  // budget
  ["budget without a limit", top({ budget: { on_exceed: "fail" } }), false],
  ["budget tokens 0", top({ budget: { tokens: 0 } }), false],
  ["budget tokens", top({ budget: { tokens: 1000, on_exceed: "fail" } }), true],
  ["budget costUsd (alias)", top({ budget: { costUsd: 2, onExceed: "pause" } }), true],
  ["budget cost 0", top({ budget: { cost_usd: 0 } }), false],
  ["budget on_exceed: stop", top({ budget: { tokens: 1, on_exceed: "stop" } }), false],
  ["budget: an unknown key", top({ budget: { tokens: 1, dollars: 2 } }), false],
  // defaults
  ["defaults", top({ defaults: { retry: 3, timeout: "10m", optional: true } }), true],
  ["defaults.retry 0", top({ defaults: { retry: 0 } }), false],
  ["defaults.timeout soon", top({ defaults: { timeout: "soon" } }), false],
  ["defaults.optional yes", top({ defaults: { optional: "yes" } }), false],
  ["defaults: an unknown key", top({ defaults: { priority: 1 } }), false],
  // seed 003's config block
  [
    "seed 003's config",
    top({ config: { timeout: 300000, maxRetries: 2, checkpointInterval: 0, parallelism: 3, continueOnError: false } }),
    true,
  ],
  ["config.maxRetries 100", top({ config: { maxRetries: 100 } }), false],
  ["config.maxRetries -1", top({ config: { maxRetries: -1 } }), false],
  ["config.checkpointInterval soon", top({ config: { checkpointInterval: "soon" } }), false],
  ["config: an unknown key", top({ config: { retries: 1 } }), false],
  ["config: a list", top({ config: [] }), false],
  ["config.timeout beside timeout", top({ timeout: "5m", config: { timeout: 1000 } }), false],
  ["config.parallelism beside parallelism", top({ parallelism: 2, config: { parallelism: 3 } }), false],
  ["config.timeout beside parallelism", top({ parallelism: 2, config: { timeout: 1000 } }), true],
  // ui
  ["ui.positions", top({ ui: { positions: { a: { x: 1, y: -2.5 } } } }), true],
  ["ui.positions x a string", top({ ui: { positions: { a: { x: "1", y: 2 } } } }), false],
  ["ui.positions without y", top({ ui: { positions: { a: { x: 1 } } } }), false],
  ["ui: an unknown key", top({ ui: { zoom: 2 } }), false],
  // steps: ids
  ["a step without an id", top({ steps: [{ command: "echo" }] }), false],
  ["a step id with a space", top({ steps: [{ id: "has space", command: "echo" }] }), false],
  ["a step id that is a root", top({ steps: [{ id: "steps", command: "echo" }] }), false],
  ["a step id `constructor`", top({ steps: [{ id: "constructor", command: "echo" }] }), false],
  ["seed 003's key", top({ steps: [{ key: "a", command: "echo" }] }), true],
  ["key and id both", top({ steps: [{ key: "a", id: "a", command: "echo" }] }), false],
  // steps: types
  ["a step whose type cannot be inferred", step({ message: "hi" }, { id: "b" }), false],
  ["an agent step inferred from agent/prompt", step(agent, { id: "b" }), true],
  ["an empty type", step({ type: "" }), false],
  ["a script step with an agent's key", step({ prompt: "x" }), false],
  ["a misspelt step key", step({ neds: ["a"] }), false],
  ["a script step without a command", step({ type: "script" }, { id: "b" }), false],
  ["an agent step without a prompt or inputs", step({ agent: "writer" }, { id: "b" }), false],
  ["an agent step with inputs", step({ agent: "writer", inputs: { x: "y" } }, { id: "b" }), true],
  ["an agent temperature of 3", step({ ...agent, temperature: 3 }, { id: "b" }), false],
  [
    "a sleep with both duration and until",
    step({ type: "sleep", duration: "1s", until: "2030-01-01" }, { id: "b" }),
    false,
  ],
  ["a sleep of soon", step({ type: "sleep", duration: "soon" }, { id: "b" }), false],
  ["a sleep of 5m", step({ type: "sleep", duration: "5m" }, { id: "b" }), true],
  ["an approval with a deadline", step({ type: "approval", timeout: "1h", onTimeout: "approve" }, { id: "b" }), true],
  ["an approval onTimeout maybe", step({ type: "approval", onTimeout: "maybe" }, { id: "b" }), false],
  ["a noop with an output", step({ type: "noop", output: { ok: true } }, { id: "b" }), true],
  ["image count 11", step({ type: "image", ...agent, count: 11 }, { id: "b" }), false],
  ["image count 10", step({ type: "image", ...agent, count: 10 }, { id: "b" }), true],
  ["image filename a path", step({ type: "image", ...agent, filename: "a/b" }, { id: "b" }), false],
  [
    "attach strategy sideways",
    step({ type: "attach", documents: "d", images: "i", strategy: "x" }, { id: "b" }),
    false,
  ],
  ["attach with no images", step({ type: "attach", documents: "d", images: [] }, { id: "b" }), false],
  // steps: common keys and their seed spellings
  ["retry: x", step({ retry: "x" }), false],
  ["retry: 0", step({ retry: 0 }), false],
  ["retry: 101", step({ retry: 101 }), false],
  ["retry: 2.5", step({ retry: 2.5 }), false],
  ["retry: 100", step({ retry: 100 }), true],
  [
    "a retry policy",
    step({ retry: { maxAttempts: 3, delay: 0, backoff: 2, maxDelay: "1m", jitter: 0.5, retryOn: ["WEFT_TIMEOUT"] } }),
    true,
  ],
  ["retry.jitter 2", step({ retry: { jitter: 2 } }), false],
  ["retry.backoff 0.5", step({ retry: { backoff: 0.5 } }), false],
  ["retry: an unknown key", step({ retry: { tries: 3 } }), false],
  [
    "seed 003's retryPolicy",
    step({ retryPolicy: { maxRetries: 3, retryDelayMs: 1000, retryBackoffMultiplier: 2 } }),
    true,
  ],
  ["retryPolicy.maxRetries 100", step({ retryPolicy: { maxRetries: 100 } }), false],
  ["retryPolicy: a number", step({ retryPolicy: 3 }), false],
  ["retry and retryPolicy both", step({ retry: 2, retryPolicy: { maxRetries: 1 } }), false],
  ["a step timeout of soon", step({ timeout: "soon" }), false],
  ["a step timeout of 30s", step({ timeout: "30s" }), true],
  ["seed 003's timeoutMs", step({ timeoutMs: 120000 }), true],
  ["timeoutMs 0", step({ timeoutMs: 0 }), false],
  ["timeoutMs a string", step({ timeoutMs: "5s" }), false],
  ["timeout and timeoutMs both", step({ timeout: "5s", timeoutMs: 5000 }), false],
  ["needs: a", step({ needs: "a" }), true],
  ["needs: [{ step, on: always }]", step({ needs: [{ step: "a", on: "always" }] }), true],
  ["needs: on sometimes", step({ needs: [{ step: "a", on: "sometimes" }] }), false],
  ["needs: an unknown key in a dependency", step({ needs: [{ step: "a", when: "now" }] }), false],
  ["needs: a mapping outside a list", step({ needs: { step: "a" } }), false],
  ["needs: 5", step({ needs: 5 }), false],
  ["seed 003's dependencies", step({ dependencies: ["a"] }), true],
  ["dependencies and needs both", step({ dependencies: ["a"], needs: ["a"] }), false],
  ["if: true", step({ if: true }), true],
  ["if: empty", step({ if: "" }), false],
  ["if: 5", step({ if: 5 }), false],
  ["seed 001's condition", step({ condition: "{{ steps.a.output.exitCode }} == 0" }), true],
  ["optional: yes", step({ optional: "yes" }), false],
  ["seed 003's continueOnError", step({ continueOnError: true }), true],
  ["seed 003's parallel", step({ parallel: true }), true],
  ["parallel: yes", step({ parallel: "yes" }), false],
  ["priority 5", step({ priority: -5 }), true],
  ["priority 1.5", step({ priority: 1.5 }), false],
  ["priority 2000000", step({ priority: 2_000_000 }), false],
  ["foreach: empty", step({ foreach: " " }), false],
  ["phase: empty", step({ phase: "" }), false],
  [
    "on_failure: 5",
    top({
      steps: [
        { ...A, on_failure: 5 },
        { id: "b", command: "echo" },
      ],
    }),
    false,
  ],
  [
    "on_failure: b",
    top({
      steps: [
        { ...A, on_failure: "b" },
        { id: "b", command: "echo" },
      ],
    }),
    true,
  ],
  // seed 001's wrapper
  ["seed 001's workflow: wrapper", { workflow: top({}) }, true],
  ["seed 001 with ui beside it", { workflow: top({}), ui: { positions: {} } }, true],
  ["seed 001 with ui inside and beside", { workflow: top({ ui: {} }), ui: {} }, false],
  ["seed 001 with an unknown key beside it", { workflow: top({}), version: "1" }, false],
  ["workflow: beside steps", { ...top({}), workflow: top({}) }, false],
  ["seed 001's workflow without steps", { workflow: { name: "x" } }, false],
  // seed 000's graph
  ["a seed 000 template", seed000(), true],
  ["seed 000 with edges and default_params", seed000({ edges: null, default_params: { topic: "x" } }), true],
  ["seed 000 without a name", without(seed000(), "name"), false],
  ["seed 000 nodes: []", seed000({ nodes: [] }), false],
  ["seed 000 nodes beside steps", seed000({ steps: [A] }), false],
  ["seed 000 default_params: 5", seed000({ default_params: 5 }), false],
  ["a node without an id", { name: "x", nodes: [{ node_type: "generate_copy", config: {} }] }, false],
  ["a node with id and node_id", seed000({}, { node_id: "copy" }), false],
  ["a node with node_id (seed 000's column)", seed000({}, { id: undefined, node_id: "copy" }), true],
  ["a node of an unknown type", seed000({}, { node_type: "generate_video" }), false],
  ["a node of a weft step type", seed000({}, { node_type: "noop", config: {} }), true],
  ["a node position", seed000({}, { position: { x: 1, y: 2 } }), true],
  ["a node position without y", seed000({}, { position: { x: 1 } }), false],
  ["a node position_x without position_y", seed000({}, { position_x: 1 }), false],
  [
    "a node with position and position_x",
    seed000({}, { position: { x: 1, y: 2 }, position_x: 1, position_y: 2 }),
    false,
  ],
  ["a node with an unknown key", seed000({}, { colour: "red" }), false],
  ["React Flow's node state", seed000({}, { width: 100, selected: false }), true],
  [
    "a node's data",
    seed000({}, { config: undefined, data: { label: "Copy", config: { prompt_template: "W" } } }),
    true,
  ],
  ["a node's data with an unknown key", seed000({}, { data: { colour: "red" } }), false],
  ["an edge without a target", seed000({ edges: [{ source: "copy" }] }), false],
  ["an edge with an unknown key", seed000({ edges: [{ source: "copy", target: "copy", weight: 1 }] }), false],
];

describe("the editor schema and the parser agree", () => {
  it.each(CASES)("%s", (_what, doc, accepted) => {
    const clean = JSON.parse(JSON.stringify(doc)) as Doc; // drops the keys patched to undefined
    expect(parserAccepts(clean), "the parser").toBe(accepted);
    expect(validate(clean), `the schema: ${JSON.stringify(validate.errors)}`).toBe(accepted);
  });

  /** What only the parser refuses: it needs the whole workflow, expressions, or plugins the schema cannot know. */
  const PARSER_ONLY: [string, Doc][] = [
    ["a reference to no step", step({ needs: ["nowhere"] })],
    ["two steps with one id", top({ steps: [A, A] })],
    [
      "a cycle",
      top({
        steps: [
          { ...A, needs: "b" },
          { id: "b", command: "echo", needs: "a" },
        ],
      }),
    ],
    ["an expression naming no step", step({ command: "echo {{ steps.nowhere.output }}" })],
    ["an expression that does not parse", step({ command: "echo {{ steps.a.output. }}" })],
    ["a type no registered step type provides (a plugin's)", step({ type: "custom", anything: 1 }, { id: "b" })],
    ["a duration under half a millisecond", top({ timeout: "0.4ms" })],
    ["an image size no provider reads", step({ type: "image", ...agent, size: "huge" }, { id: "b" })],
  ];
  it.each(PARSER_ONLY)("only the parser refuses %s", (_what, doc) => {
    expect(parserAccepts(doc)).toBe(false);
    expect(validate(doc)).toBe(true);
  });
});

describe("DURATION_PATTERN", () => {
  const pattern = new RegExp(DURATION_PATTERN, "u");
  const zero = new RegExp(ZERO_DURATION_PATTERN, "u");
  const text = fc
    .array(fc.constantFrom("0", "1", "5", ".", " ", "\t", "ms", "s", "m", "h", "d", "x", "-"), { maxLength: 8 })
    .map((parts) => parts.join(""));

  it("matches exactly the strings parseDuration reads", () => {
    fc.assert(
      fc.property(text, (s) => pattern.test(s) === (parseDuration(s) !== undefined)),
      { numRuns: 5000 },
    );
  });

  it("ZERO_DURATION_PATTERN matches only durations of 0", () => {
    fc.assert(
      fc.property(text, (s) => !zero.test(s) || parseDuration(s) === 0),
      { numRuns: 5000 },
    );
    expect(zero.test("0m 0.0s")).toBe(true);
    expect(zero.test("0m 1s")).toBe(false);
  });
});
