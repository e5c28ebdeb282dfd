/**
 * The builder (/builder/new, /builder/:id) in a real browser against the real server: a workflow built by
 * drag-and-drop and connections, an agent configured, saved, reloaded with the same graph and positions, and
 * test-run to completion on the mock provider; YAML typed in the editor appears on the canvas and a syntax
 * error keeps the last valid graph; clone & customise of a system template; a concurrent edit's 409 dialog;
 * axe and screenshots at desktop and phone sizes.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBrowser, openPage, seriousViolations, shot, startServer, type TestServer } from "./harness.js";

const flowNode = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

/** Node positions as React Flow places them (its transform), by step id. */
async function positionsOf(page: Page): Promise<Record<string, string>> {
  return page.$$eval(".react-flow__node", (els) =>
    Object.fromEntries(
      els.map((e) => [
        e.getAttribute("data-id") ?? "",
        (e as unknown as { style: { transform: string } }).style.transform,
      ]),
    ),
  );
}

/** Selects a step on the canvas and types a value into one of its settings. */
async function setField(page: Page, step: string, field: RegExp, value: string) {
  await flowNode(page, step).click();
  const panel = page.getByRole("complementary", { name: `Settings of step ${step}` });
  await panel.locator("label", { hasText: field }).click();
  await page.keyboard.type(value);
}

/** Drags a palette item onto the canvas at (x, y) inside it (HTML5 drag and drop). */
async function dropStep(page: Page, key: string, x: number, y: number) {
  await page.dragAndDrop(`[data-palette="${key}"]`, ".canvas .react-flow__pane", { targetPosition: { x, y } });
}

/** Drags from one node's output handle (or the named one: a conditional's "true"/"false") to another's input. */
async function connectSteps(page: Page, from: string, to: string, handle?: "true" | "false") {
  const source = flowNode(page, from).locator(
    handle ? `.react-flow__handle.source[data-handleid="${handle}"]` : ".react-flow__handle.source",
  );
  const out = await source.first().boundingBox();
  const inp = await flowNode(page, to).locator(".react-flow__handle.target").first().boundingBox();
  if (!out || !inp) throw new Error(`no handles for ${from} → ${to}`);
  await page.mouse.move(out.x + out.width / 2, out.y + out.height / 2);
  await page.mouse.down();
  await page.mouse.move(inp.x + inp.width / 2 - 20, inp.y + inp.height / 2, { steps: 8 });
  await page.mouse.move(inp.x + inp.width / 2, inp.y + inp.height / 2, { steps: 4 });
  await page.mouse.up();
}

async function definition(server: TestServer, id: string) {
  const { data } = await server.api.GET("/api/workflow-definitions/{id}", { params: { path: { id } } });
  if (!data) throw new Error(`no definition ${id}`);
  return data.data;
}

const EDITABLE = `# kept: a comment above the name
name: conflict-demo
steps:
  - id: first
    command: echo first
  - id: second
    needs: first
    type: noop
`;

const SHOWCASE = `name: Launch announcement
description: Draft, review and publish a product launch post.
mode: dag
phases: [draft, review, publish]
argsSchema:
  type: object
  properties:
    product: { type: string, default: Weft 1.0 }
    channels: { type: array, items: { type: string }, default: [blog, social] }
steps:
  - id: research
    name: Research the product
    phase: draft
    command: echo "notes about {{ args.product }}"
  - id: draft
    name: Draft the post
    phase: draft
    needs: research
    agent: writer
    prompt: "Write a launch post for {{ args.product }} from {{ steps.research.output.stdout }}"
  - id: visuals
    name: Describe the visuals
    phase: draft
    needs: research
    agent: designer
    prompt: "Describe a hero image for {{ args.product }}"
  - id: review
    name: Brand review
    phase: review
    needs: [draft, visuals]
    type: approval
    message: Publish this post?
    on_failure: notify
  - id: publish
    name: Post per channel
    phase: publish
    needs: review
    foreach: "{{ args.channels }}"
    command: echo "post to {{ item }}"
  - id: notify
    name: Tell the team
    phase: publish
    type: noop
`;

describeBrowser("builder", () => {
  let server: TestServer;
  const pages: Page[] = [];
  const open = async (path: string, viewport?: { width: number; height: number }) => {
    const page = await openPage(server, { path, ...(viewport ? { viewport } : {}) });
    pages.push(page);
    return page;
  };

  beforeAll(async () => {
    server = await startServer();
  }, 120_000);
  afterAll(async () => {
    for (const p of pages) await p.close().catch(() => undefined);
    await server?.stop();
  });

  it("builds a 4-step workflow by drag and drop, configures an agent, saves, reloads the same, test-runs it", async () => {
    const page = await open("/builder/new");
    await page.locator('[data-palette="script"]').waitFor();
    await dropStep(page, "script", 160, 80);
    await expect.poll(() => flowNode(page, "script").count()).toBe(1);
    await dropStep(page, "agent", 160, 240);
    await dropStep(page, "script", 160, 400);
    await dropStep(page, "noop", 440, 240);
    for (const id of ["script", "agent", "script_2", "noop"]) await flowNode(page, id).waitFor();

    await connectSteps(page, "script", "agent");
    await connectSteps(page, "agent", "script_2");
    await connectSteps(page, "script", "noop");
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(3);

    await setField(page, "script", /^command/, "echo prepared");
    await setField(page, "script_2", /^command/, "echo published");
    // Configure the agent: its required `agent`, a prompt with a reference to its ancestor's output.
    await setField(page, "agent", /^agentrequired/, "writer");
    const panel = page.getByRole("complementary", { name: "Settings of step agent" });
    await panel.locator("label", { hasText: /^prompt/ }).click();
    await page.keyboard.type("Summarise: ");
    await panel.getByRole("button", { name: "{{ steps.script.output }}" }).click();
    await page.getByRole("tab", { name: "YAML" }).click();
    const yaml = page.locator(".builder-yaml");
    await expect.poll(() => yaml.textContent()).toContain("Summarise: {{ steps.script.output }}");
    await expect.poll(() => yaml.textContent()).toContain("agent: writer");

    // on_failure on an edge, from its menu.
    // From the keyboard: the edge takes focus, Enter selects it and opens its menu.
    await page.locator('.react-flow__edge[data-id="script->noop"]').focus();
    await page.keyboard.press("Enter");
    await page
      .getByRole("dialog", { name: "Dependency script → noop" })
      .getByLabel(/On failure/)
      .check();
    await expect.poll(() => page.locator(".bedge-failure").count()).toBe(1);
    await page.keyboard.press("Escape");

    const before = await positionsOf(page);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.waitForURL(/\/builder\/(?!new)[\w-]+$/).catch(async (err) => {
      await shot(page, "builder-save-failed");
      throw new Error(
        `${err}: ${page.url()} ${await page.locator(".builder-status").textContent()}\n${await page.locator(".builder-yaml").textContent()}`,
      );
    });
    const id = page.url().split("/").pop() as string;
    const stored = await definition(server, id);
    expect(stored.steps.map((s) => s.id).sort()).toEqual(["agent", "noop", "script", "script_2"]);
    expect(stored.edges).toContainEqual({ from: "script", to: "noop", on: "failure" });
    expect(stored.source).toContain("ui:");

    await page.reload();
    await flowNode(page, "script_2").waitFor();
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(3);
    expect(await positionsOf(page)).toEqual(before);

    await page.getByRole("button", { name: "Test run" }).click();
    await page.waitForURL(/\/runs\/[\w-]+$/);
    const runId = page.url().split("/").pop() as string;
    await expect
      .poll(
        async () =>
          (await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id: runId } } })).data?.data
            .status,
        { timeout: 60_000 },
      )
      .toBe("completed");
    await page.locator('.step-node[data-step="agent"][data-status="completed"]').waitFor();
    const run = await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id: runId } } });
    expect(run.data?.data.test_run).toBe(true);
    expect(run.data?.data.workflow_definition_id).toBe(id);
    expect(page.errors).toEqual([]);
  }, 180_000);

  it("shows a step typed in the YAML on the canvas; a syntax error keeps the last valid graph", async () => {
    const { data } = await server.api.POST("/api/workflow-definitions", {
      body: { source: EDITABLE.replace("conflict-demo", "yaml-demo") },
    });
    const page = await open(`/builder/${data?.data.id}`);
    await flowNode(page, "second").waitFor();
    const editor = page.locator(".builder-yaml .cm-content");
    await editor.click();
    await page.keyboard.press("Control+End");
    await page.keyboard.insertText("  - id: typed\n    needs: second\n    command: echo typed\n");
    await flowNode(page, "typed").waitFor();
    await expect.poll(() => page.locator('.react-flow__edge[data-id="second->typed"]').count()).toBe(1);

    await page.keyboard.insertText("  - id: [broken\n");
    await page.getByRole("alert").filter({ hasText: "syntax error" }).waitFor();
    await page.locator(".builder-yaml .cm-lint-marker-error").first().waitFor();
    expect(await flowNode(page, "typed").count()).toBe(1);
    expect(await flowNode(page, "first").count()).toBe(1);
    await shot(page, "builder-syntax-error");
  }, 90_000);

  it("connects a seed 000 conditional's false branch: the edge keeps its sourceHandle, the target its if", async () => {
    const source = `name: Branch demo
default_params: { long: true }
nodes:
  - { id: ask, node_type: conditional, label: Long copy?, config: { condition: "args.long == true" }, position: { x: 0, y: 0 } }
  - { id: long, node_type: generate_copy, label: Long copy, config: { prompt_template: "Write a long ad." }, position: { x: -150, y: 220 } }
  - { id: short, node_type: generate_copy, label: Short copy, config: { prompt_template: "Write a short ad." }, position: { x: 250, y: 220 } }
edges:
  - { source: ask, target: long, sourceHandle: "true" }
`;
    const { data } = await server.api.POST("/api/workflow-definitions", { body: { source } });
    const id = data?.data.id as string;
    const page = await open(`/builder/${id}`);
    await flowNode(page, "short").waitFor();
    await connectSteps(page, "ask", "short", "false");
    await expect.poll(() => page.locator(".react-flow__edge").count(), { timeout: 10_000 }).toBe(2);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect.poll(async () => (await definition(server, id)).version, { timeout: 10_000 }).toBe(2);
    const saved = await definition(server, id);
    expect(saved.source).toContain('- { source: ask, target: short, sourceHandle: "false" }');
    expect(saved.steps?.find((s) => s.id === "short")?.if).toMatch(/!\(/);
    expect(page.errors).toEqual([]);
  }, 60_000);

  it("deletes a step with the keyboard; undo and redo move through the texts", async () => {
    const { data } = await server.api.POST("/api/workflow-definitions", {
      body: { source: EDITABLE.replace("conflict-demo", "delete-demo") },
    });
    const page = await open(`/builder/${data?.data.id}`);
    await flowNode(page, "second").click();
    await page.keyboard.press("Delete");
    await expect.poll(() => flowNode(page, "second").count()).toBe(0);
    await expect.poll(() => page.locator(".builder-yaml").textContent()).not.toContain("id: second");
    await page.getByRole("button", { name: "Undo" }).click();
    await flowNode(page, "second").waitFor();
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(1);
    await page.locator(".react-flow__pane").click({ position: { x: 20, y: 20 } });
    await page.keyboard.press("Control+Shift+Z");
    await expect.poll(() => flowNode(page, "second").count()).toBe(0);
    expect(page.errors).toEqual([]);
  }, 60_000);

  it("opens a TypeScript definition read-only, and a seed 000 template with its nodes", async () => {
    const { data: list } = await server.api.GET("/api/workflow-definitions", { params: { query: { limit: 200 } } });
    const ts = list?.data.find((d) => d.format === "ts");
    if (!ts) throw new Error("no TypeScript template");
    const page = await open(`/builder/${ts.id}`);
    await page.getByText("Defined in TypeScript.").waitFor();
    await expect.poll(() => page.locator(".react-flow__node").count()).toBeGreaterThan(1);
    expect(await page.locator("[data-palette]").count()).toBe(0);
    await expect.poll(() => page.locator(".ts-source").textContent()).toContain("defineWorkflow");

    const seed = list?.data.find((d) => d.name === "Facebook Ads Campaign");
    if (!seed) throw new Error("no Facebook Ads Campaign template");
    const marketing = await open(`/builder/${seed.id}`);
    await marketing.locator('.react-flow__node[data-id="approve-launch"]').waitFor();
    await expect.poll(() => marketing.locator(".react-flow__node").count()).toBeGreaterThan(2);
    await shot(marketing, "builder-seed-000");
    expect([...page.errors, ...marketing.errors]).toEqual([]);
  }, 60_000);

  it("clones and customises a system template, leaving the template unchanged", async () => {
    const { data: list } = await server.api.GET("/api/workflow-definitions", { params: { query: { limit: 200 } } });
    const system = list?.data.find((d) => d.system && d.format !== "ts");
    if (!system) throw new Error("no system template");
    const original = await definition(server, system.id);
    const page = await open(`/builder/${system.id}`);
    await page.getByText("A built-in template").waitFor();
    expect(await page.locator("[data-palette]").count()).toBe(0);
    await page.getByRole("button", { name: "Clone & customise" }).click();
    await page.waitForURL((u) => /\/builder\/[\w-]+$/.test(u.pathname) && !u.pathname.endsWith(system.id));
    const copyId = page.url().split("/").pop() as string;
    await page.locator('[data-palette="noop"]').waitFor();
    await page.locator('[data-palette="noop"] .palette-add').click();
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText(/Saved · version 2/).waitFor();
    const copy = await definition(server, copyId);
    expect(copy.system).toBe(false);
    expect(copy.step_count).toBe(original.step_count + 1);
    const after = await definition(server, system.id);
    expect({ source: after.source, version: after.version }).toEqual({
      source: original.source,
      version: original.version,
    });
  }, 90_000);

  it("a concurrent edit opens the 409 dialog with both versions; keep mine overwrites", async () => {
    const { data } = await server.api.POST("/api/workflow-definitions", { body: { source: EDITABLE } });
    const id = data?.data.id as string;
    const page = await open(`/builder/${id}`);
    await flowNode(page, "second").waitFor();
    await page.locator('[data-palette="noop"] .palette-add').click();
    await flowNode(page, "noop").waitFor();

    const theirs = EDITABLE.replace("echo first", "echo changed elsewhere");
    const put = await server.api.PUT("/api/workflow-definitions/{id}", {
      params: { path: { id } },
      body: { source: theirs, version: 1 },
    });
    expect(put.data?.data.version).toBe(2);

    await page.getByRole("button", { name: "Save", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Someone else changed this workflow" });
    await dialog.waitFor();
    await expect
      .poll(() => dialog.getByRole("region", { name: "Stored version" }).textContent())
      .toContain("echo changed elsewhere");
    await expect.poll(() => dialog.getByRole("region", { name: "Your version" }).textContent()).toContain("id: noop");
    await shot(page, "builder-conflict");
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Keep mine (overwrite)" }).click();
    await page.getByText(/Saved · version 3/).waitFor();
    const stored = await definition(server, id);
    expect(stored.source).toContain("id: noop");
    expect(stored.source).toContain("# kept: a comment above the name");
  }, 90_000);

  it("looks right and passes axe at desktop and phone sizes", async () => {
    const { data: copy } = await server.api.POST("/api/workflow-definitions", { body: { source: SHOWCASE } });
    const page = await open(`/builder/${copy?.data.id}`);
    await flowNode(page, "draft").click();
    await page.locator(".cfg").waitFor();
    await page.getByRole("button", { name: "Validate" }).click();
    await page.getByText("Valid: no problems.").waitFor();
    expect(await page.locator(".bnode.has-problems").count()).toBe(0);
    await shot(page, "builder");
    expect(await seriousViolations(page)).toEqual([]);

    const narrow = await open(`/builder/${copy?.data.id}`, { width: 390, height: 844 });
    await narrow.locator(".react-flow__node").first().waitFor();
    await shot(narrow, "builder-narrow");
    expect(await seriousViolations(narrow)).toEqual([]);
    await narrow.getByRole("tab", { name: "YAML" }).click();
    await narrow.locator(".builder-yaml .cm-content").waitFor();
    await shot(narrow, "builder-narrow-yaml");
    expect(await seriousViolations(narrow)).toEqual([]);
    const width = await narrow.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement
          .scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(390);
  }, 90_000);
});
