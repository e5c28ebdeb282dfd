/**
 * Seed 000's contract (creative workflows), driven as its clients drive it: its REST paths (T035–T038,
 * T057–T064, T082–T085), its payloads (the WorkflowTemplate / WorkflowNode / WorkflowExecution / AgentJob /
 * DocumentAttachment models of T015–T019), its status words (`stopped`), bare JSON answers as its axios client
 * reads them. Real HTTP against buildApp, a real SQLite file, the built-in template library installed as seed
 * 000's T081 seeds its system templates.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createMockProvider } from "../../src/agents/mock/index.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { installTemplates, templateId as libraryId } from "../../src/templates/library.js";
import { until } from "../helpers/engine.js";
import { type Json, type ServerEnv, serverEnv } from "../server/helpers.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

let s: ServerEnv;
let base: string;

beforeAll(async () => {
  // The mock provider fails the first call of a prompt that asks for it: a node to retry.
  const mock = createMockProvider({
    fixtures: { responses: [{ match: "FAIL-ONCE", fail: { times: 1, kind: "terminal", message: "copy API down" } }] },
  });
  s = await serverEnv({}, { providers: createProviderRegistry({ mock }) });
  expect((await installTemplates(s.env.store, { stepTypes })).problems).toEqual([]);
  base = await s.listen();
});
afterAll(async () => {
  await s.close();
});

/** A request as seed 000's axios client makes it: JSON in, the bare answer out. */
async function call(method: string, url: string, payload?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: payload === undefined ? {} : { "content-type": "application/json" },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
async function ok(method: string, url: string, payload?: unknown, status = 200): Promise<Json> {
  const r = await call(method, url, payload);
  if (r.status !== status)
    throw new Error(`${method} ${url}: expected ${status}, got ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}
async function refused(method: string, url: string, payload: unknown, status: number, message: RegExp) {
  const r = await call(method, url, payload);
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.json.error.message).toMatch(message);
}
/** Polls an execution as seed 000's useWorkflowExecution hook does, until `pred` holds. */
async function pollUntil(id: string, pred: (e: Json) => boolean, what: string): Promise<Json> {
  let last: Json;
  await until(
    async () => {
      last = await ok("GET", `/api/workflows/executions/${id}`);
      return pred(last);
    },
    20_000,
    what,
  );
  return last;
}
const job = (e: Json, node: string) => e.agent_jobs.find((j: Json) => j.node_id === node && j.iteration === null);

/** A custom template as seed 000's builder saves it (WorkflowTemplate with WorkflowNode rows, T015/T016). */
const CUSTOM = {
  name: "Product Launch Teaser",
  description: "Two teaser copies and a hero image, attached, then a review.",
  category: "Social Media",
  default_params: { topic: "the new sleep mask", copy_quantity: 2 },
  nodes: [
    {
      node_id: "copy",
      node_type: "generate_copy",
      label: "Generate teaser copy",
      config: {
        prompt_template: "Write a teaser about {{ topic }}",
        quantity: "{{ copy_quantity }}",
        temperature: 0.7,
        output_status: "draft",
      },
      position_x: 100,
      position_y: 80,
    },
    {
      node_id: "hero",
      node_type: "generate_image",
      label: "Generate hero image",
      config: { prompt_template: "A hero shot of {{ topic }}", quantity: 2, style_preset: "photo", dimensions: "1:1" },
      position_x: 100,
      position_y: 240,
    },
    {
      node_id: "attach",
      node_type: "attach_to_document",
      label: "Attach images",
      config: { strategy: "single_to_single" },
      position_x: 360,
      position_y: 160,
    },
    {
      node_id: "review",
      node_type: "review",
      label: "Brand review",
      config: { instructions: "Check the voice." },
      position_x: 600,
      position_y: 160,
    },
  ],
  edges: [
    { id: "e1", source: "copy", target: "attach" },
    { id: "e2", source: "hero", target: "attach" },
    { id: "e3", source: "attach", target: "review" },
  ],
};

describe("seed 000 templates", () => {
  it("lists the system templates with their nodes, edges and usage, filtered by category", async () => {
    const all = await ok("GET", "/api/workflows/templates?limit=200");
    const fb = all.find((t: Json) => t.name === "Facebook Ads Campaign");
    expect(fb).toMatchObject({ is_system: true, category: "paid-ads", usage_count: 0, avg_execution_time: null });
    expect(fb.node_count).toBe(fb.nodes.length);
    const paid = await ok("GET", "/api/workflows/templates?category=paid-ads");
    expect(paid.length).toBeGreaterThan(0);
    expect(paid.every((t: Json) => t.category === "paid-ads")).toBe(true);
    expect(await ok("GET", "/api/workflows/templates?include_system=false")).toEqual(
      all.filter((t: Json) => !t.is_system),
    );
  });

  it('reads "Facebook Ads Campaign" as nodes and edges, with default_params', async () => {
    const all = await ok("GET", "/api/workflows/templates?search=Facebook");
    const fb = await ok("GET", `/api/workflows/templates/${all[0].id}`);
    expect(fb.name).toBe("Facebook Ads Campaign");
    const types = fb.nodes.map((n: Json) => n.node_type);
    for (const t of ["generate_copy", "generate_image", "attach_to_document", "review"]) expect(types).toContain(t);
    for (const n of fb.nodes)
      expect(Object.keys(n)).toEqual(expect.arrayContaining(["id", "node_type", "label", "config"]));
    const ids = new Set(fb.nodes.map((n: Json) => n.id));
    for (const e of fb.edges) expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
    expect(fb.default_params).toMatchObject({ product: expect.any(String), audience: expect.any(String) });
  });

  it("creates a template from the seed's node JSON, reads it back as sent, updates and clones it", async () => {
    const created = await ok("POST", "/api/workflows/templates", CUSTOM, 201);
    expect(created).toMatchObject({
      ...CUSTOM,
      is_system: false,
      usage_count: 0,
      node_count: 4,
      workspace_id: "default",
    });
    const read = await ok("GET", `/api/workflows/templates/${created.id}`);
    expect(read).toEqual(created);

    // Seed 000's builder saves the changed fields: a moved node and a new name.
    const nodes = CUSTOM.nodes.map((n) => (n.node_id === "review" ? { ...n, position_x: 720 } : n));
    const updated = await ok("PUT", `/api/workflows/templates/${created.id}`, { name: "Launch Teaser v2", nodes });
    expect(updated).toMatchObject({ id: created.id, name: "Launch Teaser v2", edges: CUSTOM.edges });
    expect(updated.nodes.find((n: Json) => n.node_id === "review").position_x).toBe(720);

    const clone = await ok("POST", `/api/workflows/templates/${created.id}/clone`, {}, 201);
    expect(clone).toMatchObject({ name: "Launch Teaser v2 (copy)", is_system: false, nodes, edges: CUSTOM.edges });
    expect(clone.id).not.toBe(created.id);
    const system = (await ok("GET", "/api/workflows/templates?category=paid-ads"))[0];
    const named = await ok("POST", `/api/workflows/templates/${system.id}/clone`, { name: "My Ads" }, 201);
    expect(named).toMatchObject({ name: "My Ads", is_system: false, nodes: system.nodes });

    // include_system=false filters before paging: a page of one holds a user's template, not an emptied page of
    // the first built-in one.
    const page = await ok("GET", "/api/workflows/templates?include_system=false&limit=1");
    expect(page).toHaveLength(1);
    expect(page[0].is_system).toBe(false);
  });

  it("seed 000's own Facebook Ads template JSON goes in and comes back unchanged", async () => {
    const doc = parse(readFileSync(path.join(repoRoot, "test/fixtures/seed-000/facebook-ads-campaign.yaml"), "utf8"));
    const payload = { ...doc, name: "FB Ads (seed JSON)" };
    const created = await ok("POST", "/api/workflows/templates", payload, 201);
    const back = await ok("GET", `/api/workflows/templates/${created.id}`);
    expect({ nodes: back.nodes, edges: back.edges, default_params: back.default_params }).toEqual({
      nodes: doc.nodes,
      edges: doc.edges,
      default_params: doc.default_params,
    });
  });

  it("bad templates are clear 4xx: unknown node type, a cycle, a client-made system template, unknown ids", async () => {
    const bad = (patch: Json) => ({ ...CUSTOM, name: `Bad ${Math.random()}`, ...patch });
    await refused(
      "POST",
      "/api/workflows/templates",
      bad({ nodes: [{ ...CUSTOM.nodes[0], node_type: "generate_video" }] }),
      422,
      /unknown node type `generate_video`/,
    );
    await refused(
      "POST",
      "/api/workflows/templates",
      bad({ edges: [...CUSTOM.edges, { id: "e4", source: "review", target: "copy" }] }),
      422,
      /dependency cycle: .*copy.*review|dependency cycle: .*review.*copy/,
    );
    await refused("POST", "/api/workflows/templates", bad({ nodes: [] }), 400, /at least one node/);
    await refused("POST", "/api/workflows/templates", bad({ is_system: true }), 400, /system template/);
    await refused("GET", "/api/workflows/templates/no-such-template", undefined, 404, /no workflow definition has id/);
    await refused("PUT", "/api/workflows/templates/no-such-template", { name: "x" }, 404, /no workflow definition/);
    await refused("POST", "/api/workflows/templates/no-such-template/clone", {}, 404, /no workflow definition/);
    const system = (await ok("GET", "/api/workflows/templates?category=paid-ads"))[0];
    await refused("PUT", `/api/workflows/templates/${system.id}`, { name: "Mine" }, 409, /built-in template/);
    const mine = await ok("POST", "/api/workflows/templates", bad({}), 201);
    await refused(
      "PUT",
      `/api/workflows/templates/${mine.id}`,
      { workspace_id: "p2" },
      400,
      /workspace cannot be changed/,
    );
  });

  it("a TypeScript workflow is code, not nodes: left out of the list, a 422 that says so, never cloned", async () => {
    const id = libraryId("implement-feature");
    expect(await s.env.store.definitions.get(id)).toMatchObject({ format: "ts" });
    const all = await ok("GET", "/api/workflows/templates?limit=200");
    expect(all.map((t: Json) => t.id)).not.toContain(id);
    await refused("GET", `/api/workflows/templates/${id}`, undefined, 422, /TypeScript workflow is code/);
    const before = (await ok("GET", "/api/workflow-definitions?limit=200")).data.length;
    await refused("POST", `/api/workflows/templates/${id}/clone`, {}, 422, /cannot be written as a seed 000 template/);
    expect((await ok("GET", "/api/workflow-definitions?limit=200")).data.length).toBe(before);
  });
});

describe("seed 000 executions", () => {
  let templateId: string;
  beforeAll(async () => {
    // Seed 000's templates belong to a workspace: weft's project.
    const t = await ok("POST", "/api/workflows/templates", { ...CUSTOM, name: "Exec Teaser", workspace_id: "p1" }, 201);
    expect(t.workspace_id).toBe("p1");
    templateId = t.id;
  });

  it("launches with params, reports progress, the current node and per-node agent jobs; pause, resume, stop", async () => {
    const launched = await ok(
      "POST",
      "/api/workflows/executions/launch",
      { template_id: templateId, project_id: "p1", config: { topic: "night shifts", copy_quantity: 2 } },
      201,
    );
    expect(launched).toMatchObject({ template_id: templateId, project_id: "p1", workspace_id: "p1" });
    expect(launched.config).toEqual({ topic: "night shifts", copy_quantity: 2 });
    expect(["pending", "running"]).toContain(launched.status);

    // The review node waits for a person: seed 000's review pauses its execution.
    const waiting = await pollUntil(launched.id, (e) => job(e, "review")?.weft_status === "waiting", "the review");
    expect(waiting).toMatchObject({ status: "paused", weft_status: "waiting", current_node_id: "review" });
    expect(waiting.current_node).toEqual({ node_id: "review", label: "Brand review", status: "running" });
    expect(waiting.progress_percent).toBe(waiting.progress);
    expect(waiting.progress_percent).toBeGreaterThanOrEqual(50);
    expect(waiting.progress_percent).toBeLessThan(100);
    const copy = job(waiting, "copy");
    expect(copy).toMatchObject({ job_type: "generate_copy", status: "completed", error_message: null });
    expect(copy.tokens_used).toBeGreaterThan(0);
    expect(copy.started_at).not.toBeNull();
    expect(copy.completed_at).not.toBeNull();
    expect(waiting.agent_jobs.filter((j: Json) => j.node_id === "copy" && j.iteration !== null)).toHaveLength(2);
    expect(job(waiting, "hero")).toMatchObject({ job_type: "generate_image", status: "completed" });
    expect(job(waiting, "hero").output_data).not.toBeNull();
    expect(job(waiting, "attach")).toMatchObject({ job_type: "attach_to_document", status: "completed" });
    expect(waiting.tokens_used).toBeGreaterThan(0);

    const paused = await ok("POST", `/api/workflows/executions/${launched.id}/pause`);
    expect(paused).toMatchObject({ status: "paused", weft_status: "paused" });
    const resumed = await ok("POST", `/api/workflows/executions/${launched.id}/resume`);
    expect(resumed.weft_status).not.toBe("paused");
    const stopped = await ok("POST", `/api/workflows/executions/${launched.id}/stop`);
    expect(stopped).toMatchObject({ status: "stopped", weft_status: "cancelled" });
    expect(job(stopped, "review").status).toBe("cancelled");

    const byStopped = await ok("GET", "/api/workflows/executions?status=stopped");
    expect(byStopped.map((e: Json) => e.id)).toContain(launched.id);
    expect(byStopped.every((e: Json) => e.status === "stopped")).toBe(true);
    const active = await ok("GET", "/api/workflows/executions?status=running,paused");
    expect(active.map((e: Json) => e.id)).not.toContain(launched.id);
    const ofTemplate = await ok("GET", `/api/workflows/executions?template_id=${templateId}`);
    expect(ofTemplate.map((e: Json) => e.id)).toContain(launched.id);
    // A stopped execution cannot be resumed.
    await refused("POST", `/api/workflows/executions/${launched.id}/resume`, undefined, 409, /cancelled|ended|cannot/);
  });

  it("resume lets an execution paused at a review go on (the person's approval, as seed 000's review node takes it)", async () => {
    const t = await ok(
      "POST",
      "/api/workflows/templates",
      {
        name: "Review then merge",
        workspace_id: "p1",
        nodes: [
          { node_id: "review", node_type: "review", label: "Check" },
          { node_id: "done", node_type: "merge" },
        ],
        edges: [{ id: "e1", source: "review", target: "done" }],
      },
      201,
    );
    const launched = await ok("POST", "/api/workflows/executions/launch", { template_id: t.id, project_id: "p1" }, 201);
    const waiting = await pollUntil(launched.id, (e) => e.weft_status === "waiting", "the review");
    expect(waiting).toMatchObject({ status: "paused", current_node_id: "review" });
    await ok("POST", `/api/workflows/executions/${launched.id}/resume`);
    const done = await pollUntil(launched.id, (e) => e.status === "completed", "completed");
    expect(job(done, "review").status).toBe("completed");
  });

  it("retries a failed node", async () => {
    const t = await ok(
      "POST",
      "/api/workflows/templates",
      {
        name: "Flaky Copy",
        category: "Paid Ads",
        default_params: { topic: "FAIL-ONCE sale" },
        nodes: [
          {
            node_id: "copy",
            node_type: "generate_copy",
            label: "Copy",
            config: { prompt_template: "Write about {{ topic }}" },
            position_x: 0,
            position_y: 0,
          },
        ],
        edges: [],
      },
      201,
    );
    const e = await ok("POST", "/api/workflows/executions/launch", { template_id: t.id }, 201);
    const failed = await pollUntil(e.id, (x) => x.status === "failed", "the failure");
    expect(job(failed, "copy")).toMatchObject({
      status: "failed",
      error_message: expect.stringMatching(/copy API down/),
    });
    expect(failed.error_message).toMatch(/copy/);
    await refused("POST", `/api/workflows/executions/${e.id}/retry-node`, { node_id: "nope" }, 404, /no step `nope`/);
    const retried = await ok("POST", `/api/workflows/executions/${e.id}/retry-node`, { node_id: "copy" });
    expect(retried.status).not.toBe("failed");
    const done = await pollUntil(e.id, (x) => x.status === "completed", "the retried run");
    expect(job(done, "copy")).toMatchObject({ status: "completed", attempt: 2 });
    expect(done.progress_percent).toBe(100);
    // The template's usage stats count the run (seed 000's gallery cards and preview, T068/T116).
    const stats = await ok("GET", `/api/workflows/templates/${t.id}`);
    expect(stats).toMatchObject({ usage_count: 1, success_rate: 1 });
    expect(stats.avg_execution_time).toBeGreaterThanOrEqual(0);
  });

  it("bad launches and controls are clear 4xx", async () => {
    await refused(
      "POST",
      "/api/workflows/executions/launch",
      { template_id: "nope" },
      404,
      /no workflow definition has id nope/,
    );
    await refused(
      "POST",
      "/api/workflows/executions/launch",
      { template_id: templateId, project_id: "p1", config: {}, params: {} },
      400,
      /`config` or as `params`/,
    );
    await refused(
      "POST",
      "/api/workflows/executions/launch",
      { template_id: templateId, project_id: "p1", config: { copy_quantity: "many" } },
      422,
      /copy_quantity/,
    );
    await refused("GET", "/api/workflows/executions/nope", undefined, 404, /no workflow execution has id nope/);
    await refused("POST", "/api/workflows/executions/nope/stop", undefined, 404, /no run has id nope/);
    await refused("GET", "/api/workflows/executions?status=halted", undefined, 400, /unknown status "halted"/);
    await refused("POST", "/api/workflows/executions/x/retry-node", {}, 400, /node_id/);
  });
});

describe("seed 000 document attachments", () => {
  let doc: string;
  let images: string[];
  beforeAll(async () => {
    const t = await ok(
      "POST",
      "/api/workflows/templates",
      {
        name: "Doc And Images",
        default_params: {},
        nodes: [
          {
            node_id: "copy",
            node_type: "generate_copy",
            label: "Copy",
            config: { prompt_template: "Write a caption" },
          },
          {
            node_id: "pics",
            node_type: "generate_image",
            label: "Images",
            config: { prompt_template: "Three beach photos", quantity: 3 },
          },
        ],
        edges: [],
      },
      201,
    );
    const e = await ok("POST", "/api/workflows/executions/launch", { template_id: t.id }, 201);
    await pollUntil(e.id, (x) => x.status === "completed", "the run");
    const artifacts = (await ok("GET", `/api/workflow-executions/${e.id}/artifacts`)).data as Json[];
    doc = artifacts.find((a) => a.file_type === "document").id;
    images = artifacts.filter((a) => a.file_type === "image").map((a) => a.id);
    expect(images).toHaveLength(3);
  });

  it("attaches images to a document, sets the primary, detaches", async () => {
    expect(await ok("GET", `/api/documents/${doc}/attachments`)).toEqual([]);
    const attached = await ok("POST", `/api/documents/${doc}/attachments`, { image_ids: images });
    expect(attached.map((a: Json) => [a.image_id, a.is_primary, a.attachment_order])).toEqual([
      [images[0], true, 1],
      [images[1], false, 2],
      [images[2], false, 3],
    ]);
    expect(attached[0]).toMatchObject({
      id: `${doc}:${images[0]}`,
      document_id: doc,
      created_by_workflow_id: null,
      image: { id: images[0], file_type: "image" },
    });
    const primary = await ok("PUT", `/api/documents/${doc}/attachments/${images[2]}/primary`);
    expect(primary.filter((a: Json) => a.is_primary).map((a: Json) => a.image_id)).toEqual([images[2]]);
    const detached = await ok("DELETE", `/api/documents/${doc}/attachments/${images[2]}`);
    expect(detached.map((a: Json) => a.image_id)).toEqual([images[0], images[1]]);
    expect(detached.filter((a: Json) => a.is_primary)).toHaveLength(1);
    expect(await ok("GET", `/api/documents/${doc}/attachments`)).toEqual(detached);
  });

  it("more than 20 images, unknown documents and images are clear 4xx", async () => {
    const many = Array.from({ length: 21 }, (_, i) => `img-${i}`);
    await refused("POST", `/api/documents/${doc}/attachments`, { image_ids: many }, 400, /at most 20 images/);
    await refused(
      "POST",
      `/api/documents/${doc}/attachments`,
      { image_ids: ["no-such-image"] },
      404,
      /no artifact has id no-such-image/,
    );
    await refused("GET", "/api/documents/no-such-doc/attachments", undefined, 404, /no artifact has id no-such-doc/);
    await refused("PUT", `/api/documents/no-such-doc/attachments/${images[0]}/primary`, undefined, 404, /no artifact/);
    await refused("DELETE", `/api/documents/no-such-doc/attachments/${images[0]}`, undefined, 404, /no artifact/);
    // An image cannot be attached as a document.
    await refused("POST", `/api/documents/${images[0]}/attachments`, { image_ids: [images[1]] }, 409, /document/);
  });
});
