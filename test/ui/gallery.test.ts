/**
 * The template gallery in a real browser: category filter, search and sort kept in the URL (a reload keeps
 * them); the preview dialog (DAG, phases, arguments, usage, last runs; keyboard: focus kept inside, Escape
 * closes); the launch form generated from the args schema — a client check, then the server's 422 on its
 * field, then a launch landing on the run page with the run in the Active panel; a TypeScript template's
 * launch; axe and screenshots at desktop and phone sizes.
 */
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBrowser, openPage, seriousViolations, shot, startServer, type TestServer } from "./harness.js";

type GalleryPage = Page & { errors: string[] };

// Every kind of argument the form generates, a required one without a default, and a rule (minLength) that
// only the server checks. The run waits at `gate`, so it stays in the Active panel.
const FORM_CHECK = `name: Launch form check
description: Every kind of argument the launch form generates, for the gallery's browser test.
category: examples
phases: [wait, finish]
argsSchema:
  type: object
  required: [topic]
  examples: [{ topic: Autumn sale, quantity: 12 }]
  properties:
    topic: { type: string, minLength: 3, description: What the run is about. }
    quantity: { type: integer, minimum: 1, maximum: 20, default: 5, description: How many drafts. }
    temperature: { type: number, default: 0.7 }
    channels: { type: array, items: { type: string }, default: [email, blog] }
    tone: { type: string, enum: [warm, formal], default: warm }
    dry_run: { type: boolean, default: false, description: Plan only. }
    context_documents:
      type: array
      description: Documents the agents read.
      items: { type: string, format: weft-document }
steps:
  - { id: gate, phase: wait, type: approval }
  - { id: done, phase: finish, type: noop, needs: gate }
`;

/** Waits for a value (the page loads and re-renders on a busy machine: seconds, not vitest's default 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000 });
/** An expression evaluated in the page (as text: this file is type-checked without the DOM library). */
const inPage = <T>(page: Page, expression: string) => page.evaluate<T>(expression);
/** What the page threw or logged as an error, but the browser's note of the 422 a test provoked on purpose. */
const unexpected = (...pages: GalleryPage[]) =>
  pages.flatMap((p) => p.errors).filter((e) => !/status of 422 \(Unprocessable Entity\)/.test(e));
const cards = (page: Page) => page.locator(".tpl-card:not(.tpl-skeleton)");
const cardTitles = (page: Page) => page.locator(".tpl-card-open").allTextContents();
const field = (page: Page, name: string): Locator => page.locator(`.arg-field[data-field="${name}"]`);

async function definitionId(server: TestServer, name: string): Promise<string> {
  const { data } = await server.api.GET("/api/workflow-definitions", { params: { query: { search: name } } });
  const def = data?.data.find((d) => d.name === name);
  if (!def) throw new Error(`no definition named ${name}`);
  return def.id;
}

async function runOf(server: TestServer, id: string) {
  const { data } = await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id } } });
  if (!data) throw new Error(`no run ${id}`);
  return data.data;
}

/** Waits for a condition outside a test (expect.poll is for tests only). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeBrowser("the template gallery", () => {
  let server: TestServer;
  let pipelineRun: string;
  let documentId: string;

  beforeAll(async () => {
    server = await startServer();
    // One finished run of a template, for its usage stats and its "recent runs".
    const pipeline = await definitionId(server, "Simple Build Pipeline");
    const launched = await server.api.POST("/api/workflow-executions", {
      body: { workflow_definition_id: pipeline, name: "pipeline for stats", args: { environment: "staging" } },
    });
    if (!launched.data) throw new Error(JSON.stringify(launched.error));
    pipelineRun = launched.data.data.id;
    await until(async () => (await runOf(server, pipelineRun)).status === "completed", "the pipeline run to complete");
    // A document in the project, for the launch form's document picker.
    const form = new FormData();
    form.append("file", new Blob(["# Brand guide\n\nWarm, plain words."], { type: "text/markdown" }), "brand.md");
    form.append("file_type", "document");
    const res = await fetch(`${server.url}/api/workflow-executions/${pipelineRun}/artifacts`, {
      method: "POST",
      body: form,
    });
    expect(res.status).toBe(201);
    documentId = ((await res.json()) as { data: { id: string } }).data.id;
    const created = await server.api.POST("/api/workflow-definitions", {
      body: { source: FORM_CHECK, format: "yaml", project_id: "default" },
    });
    if (!created.data) throw new Error(JSON.stringify(created.error));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('"All" counts every definition, an uncategorised one too (not the sum of the categories\' counts)', async () => {
    const created = await server.api.POST("/api/workflow-definitions", {
      body: { source: "name: Uncategorised\nsteps:\n  - { id: only, type: noop }\n", project_id: "default" },
    });
    if (!created.data) throw new Error(JSON.stringify(created.error));
    try {
      const page = (await openPage(server, { path: "/templates" })) as GalleryPage;
      await poll(() => cards(page).count()).toBe(30);
      const all = page.getByRole("group", { name: "Category" }).getByRole("button", { name: /^All/ });
      await poll(() => all.locator(".cat-chip-count").textContent()).toBe("30");
      await page.close();
    } finally {
      await server.api.DELETE("/api/workflow-definitions/{id}", { params: { path: { id: created.data.data.id } } });
    }
  });

  it("filters by category, searches and sorts, all kept in the URL across a reload", async () => {
    const page = (await openPage(server, { path: "/templates" })) as GalleryPage;
    await page.getByRole("heading", { name: "Templates", level: 1 }).waitFor();
    await poll(() => cards(page).count()).toBe(29);
    await shot(page, "gallery");
    expect(await seriousViolations(page)).toEqual([]);

    // category: the chip's count is the number of cards, each with the category's badge
    const categories = page.getByRole("group", { name: "Category" });
    const paidAds = categories.getByRole("button", { name: /^Paid ads/ });
    const count = Number(await paidAds.locator(".cat-chip-count").textContent());
    expect(count).toBeGreaterThan(0);
    await paidAds.click();
    await poll(() => new URL(page.url()).search).toBe("?category=paid-ads");
    await poll(() => cards(page).count()).toBe(count);
    expect(await page.locator(".tpl-card .cat-badge").allTextContents()).toEqual(Array(count).fill("Paid ads"));
    expect(await paidAds.getAttribute("aria-pressed")).toBe("true");

    // search (debounced into the URL), within all categories
    await categories.getByRole("button", { name: /^All/ }).click();
    await poll(() => cards(page).count()).toBe(29);
    await page.getByRole("searchbox", { name: /Search templates/ }).fill("build");
    await poll(() => new URL(page.url()).searchParams.get("q")).toBe("build");
    await poll(async () => (await cards(page).count()) < 29).toBe(true);
    const found = await cardTitles(page);
    expect(found.length).toBeGreaterThan(1);
    expect(found).not.toContain("Sprint Planning");
    // most used first (the default): the only one that has run
    expect(found[0]).toBe("Simple Build Pipeline");

    // sort by name
    await page.getByRole("combobox", { name: "Sort" }).selectOption("name");
    await poll(() => new URL(page.url()).searchParams.get("sort")).toBe("name");
    await poll(async () => {
      const titles = await cardTitles(page);
      return titles.join("|") === [...titles].sort((a, b) => a.localeCompare(b)).join("|") && titles.length > 1;
    }).toBe(true);
    expect((await cardTitles(page))[0]).not.toBe("Simple Build Pipeline");
    const sorted = await cardTitles(page);

    // a reload shows the same view
    await page.reload();
    await poll(() => cardTitles(page)).toEqual(sorted);
    expect(await page.getByRole("searchbox", { name: /Search templates/ }).inputValue()).toBe("build");
    expect(await page.getByRole("combobox", { name: "Sort" }).inputValue()).toBe("name");

    // no match: an empty state that clears the filters
    await page.getByRole("searchbox", { name: /Search templates/ }).fill("zzz-nothing-like-this");
    await page.getByText("No templates match").waitFor();
    await page.getByRole("button", { name: "Clear filters" }).click();
    await poll(() => cards(page).count()).toBe(29);
    expect(new URL(page.url()).search).toBe("?sort=name");

    // a phone: one column, the chips scroll sideways, nothing wider than the screen
    const phone = (await openPage(server, {
      path: "/templates",
      viewport: { width: 390, height: 844 },
    })) as GalleryPage;
    await poll(() => cards(phone).count()).toBe(29);
    expect(await inPage<number>(phone, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await shot(phone, "gallery-narrow");
    expect(await seriousViolations(phone)).toEqual([]);
    expect(unexpected(page, phone)).toEqual([]);
  }, 180_000);

  it("previews a template: its DAG, phases, arguments, usage and last runs; the keyboard stays inside", async () => {
    const page = (await openPage(server, { path: "/templates?q=build" })) as GalleryPage;
    const open = page.getByRole("button", { name: "Simple Build Pipeline" });
    await open.click();
    const dialog = page.getByRole("dialog", { name: "Simple Build Pipeline" });
    await dialog.waitFor();
    expect(new URL(page.url()).searchParams.get("preview")).toBe(await definitionId(server, "Simple Build Pipeline"));

    await poll(() => dialog.locator(".def-node").count()).toBe(4);
    expect(await dialog.getByRole("list", { name: "Phases" }).getByRole("listitem").allTextContents()).toEqual([
      "1build2 steps",
      "2test1 step",
      "3deploy1 step",
    ]);
    const args = dialog.getByRole("table");
    await args
      .getByRole("row", { name: /environment/ })
      .getByText("required")
      .waitFor();
    await args.getByText("dev | staging | production").waitFor();
    const stats = dialog.getByRole("definition");
    expect(await stats.allTextContents()).toEqual(expect.arrayContaining(["1", "100%", "4"]));
    const recent = dialog.getByRole("link", { name: "pipeline for stats" });
    expect(await recent.getAttribute("href")).toBe(`/runs/${pipelineRun}`);
    await dialog.locator(".recent-runs .status-completed").waitFor();
    await shot(page, "gallery-preview");
    expect(await seriousViolations(page)).toEqual([]);

    // Tab cycles inside the dialog; Escape closes it, gives focus back to the card and drops `preview`
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      expect(await inPage<boolean>(page, "document.activeElement?.closest('dialog') !== null")).toBe(true);
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(new URL(page.url()).searchParams.get("preview")).toBeNull();
    expect(await inPage<string>(page, "document.activeElement?.textContent")).toBe("Simple Build Pipeline");

    // opened by URL on a phone
    const phone = (await openPage(server, {
      path: `/templates?preview=${await definitionId(server, "Facebook Ads Campaign")}`,
      viewport: { width: 390, height: 844 },
    })) as GalleryPage;
    const fb = phone.getByRole("dialog", { name: "Facebook Ads Campaign" });
    await fb.locator(".def-node").first().waitFor();
    await shot(phone, "gallery-preview-narrow");
    expect(await seriousViolations(phone)).toEqual([]);
    expect(unexpected(page, phone)).toEqual([]);
  }, 120_000);

  it("launches through the generated form: a client check, the server's 422 on its field, then the run", async () => {
    const page = (await openPage(server, { path: "/templates?q=form%20check" })) as GalleryPage;
    await page.getByRole("button", { name: "Launch form check" }).click();
    await page.getByRole("dialog").getByRole("link", { name: "Use template" }).click();
    await page.getByRole("heading", { name: "Launch Launch form check" }).waitFor();
    const id = await definitionId(server, "Launch form check");
    expect(new URL(page.url()).pathname).toBe(`/templates/${id}/launch`);

    // the fields the schema asks for, with its defaults
    const topic = page.getByLabel(/^Topic/);
    expect(await topic.getAttribute("aria-required")).toBe("true");
    expect(await page.getByRole("spinbutton", { name: /Quantity/ }).inputValue()).toBe("5");
    expect(await page.getByRole("slider", { name: /Quantity/ }).inputValue()).toBe("5");
    expect(await page.getByRole("combobox", { name: /Tone/ }).inputValue()).toBe('"warm"');
    expect(await page.getByRole("switch", { name: /Dry run/ }).getAttribute("aria-checked")).toBe("false");
    expect(await field(page, "channels").locator(".chip-text").allTextContents()).toEqual(["email", "blog"]);
    await field(page, "context_documents")
      .getByRole("checkbox", { name: /brand\.md/ })
      .waitFor();
    await page.getByText("What the run is about.").waitFor();

    // 1. the client's check: the required field, nothing sent
    await page.getByRole("button", { name: "Launch run" }).click();
    await field(page, "topic").locator(".arg-error").getByText("Required").waitFor();
    expect(await topic.getAttribute("aria-invalid")).toBe("true");
    await poll(() => inPage<string>(page, "document.activeElement?.id")).toBe("arg-topic");
    expect(new URL(page.url()).pathname).toBe(`/templates/${id}/launch`);

    // 2. the server's check (minLength, which the client leaves to it): its 422 lands on the field
    await topic.fill("ab");
    await page.getByRole("button", { name: "Launch run" }).click();
    const serverError = field(page, "topic").locator(".arg-error");
    await serverError.waitFor();
    expect(await serverError.textContent()).toMatch(/fewer than 3 characters/);
    expect(await topic.getAttribute("aria-invalid")).toBe("true");
    await shot(page, "gallery-launch-error");
    expect(await seriousViolations(page)).toEqual([]);

    // the schema's example fills the form (over the defaults)
    await page.getByRole("button", { name: "Fill with example" }).click();
    expect(await topic.inputValue()).toBe("Autumn sale");
    expect(await page.getByRole("spinbutton", { name: /Quantity/ }).inputValue()).toBe("12");
    expect(await field(page, "topic").locator(".arg-error").count()).toBe(0);

    // 3. fixed, and every kind of field used
    await topic.fill("Spring launch");
    await page.getByRole("spinbutton", { name: /Quantity/ }).fill("7");
    expect(await page.getByRole("slider", { name: /Quantity/ }).inputValue()).toBe("7");
    await field(page, "channels").getByRole("button", { name: "Remove email" }).click();
    await field(page, "channels").getByRole("textbox").fill("social");
    await field(page, "channels").getByRole("textbox").press("Enter");
    await page.getByRole("combobox", { name: /Tone/ }).selectOption({ label: "formal" });
    await page.getByRole("switch", { name: /Dry run/ }).click();
    await field(page, "context_documents")
      .getByRole("checkbox", { name: /brand\.md/ })
      .check();
    await page.getByLabel("Run name").fill("form check run");
    await page.getByLabel("Priority").fill("2");
    // a budget the client refuses, then one it sends
    await page.getByLabel("Token budget").fill("-5");
    await page.getByRole("button", { name: "Launch run" }).click();
    await page.getByText("Enter a whole number of tokens above 0").waitFor();
    expect(await page.getByLabel("Token budget").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Token budget").fill("50000");
    const sent = page.waitForRequest(
      (r) => r.method() === "POST" && new URL(r.url()).pathname === "/api/workflow-executions",
    );
    await page.getByRole("button", { name: "Launch run" }).click();
    expect(JSON.parse((await sent).postData() ?? "{}")).toMatchObject({
      workflow_definition_id: id,
      project_id: "default",
      name: "form check run",
      priority: 2,
      budget: { tokens: 50000 },
    });

    await page.waitForURL(/\/runs\/[^/]+$/);
    const runId = new URL(page.url()).pathname.split("/").pop() as string;
    await page.getByRole("heading", { name: "form check run" }).waitFor();
    const run = await runOf(server, runId);
    expect(run.args).toEqual({
      topic: "Spring launch",
      quantity: 7,
      temperature: 0.7,
      channels: ["blog", "social"],
      tone: "formal",
      dry_run: true,
      context_documents: [documentId],
    });
    expect(run.priority).toBe(2);
    expect(run.workflow_definition_id).toBe(id);

    // the Active panel lists it at once
    await page.getByRole("button", { name: "Active" }).click();
    const panel = page.getByRole("dialog", { name: /Active runs/ });
    await panel.getByRole("link", { name: "form check run" }).waitFor();
    expect(unexpected(page)).toEqual([]);
  });

  it("puts the server's refusal of a real template's argument on its field (a URL the schema refuses)", async () => {
    const id = await definitionId(server, "Facebook Ads Campaign");
    const page = (await openPage(server, { path: `/templates/${id}/launch` })) as GalleryPage;
    const url = page.getByLabel(/^Landing url/);
    await url.fill("not a url");
    await page.getByRole("button", { name: "Launch run" }).click();
    const error = field(page, "landing_url").locator(".arg-error");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/format "uri"/);
    await poll(() => inPage<string>(page, "document.activeElement?.id")).toBe("arg-landing_url");
    const phone = (await openPage(server, {
      path: `/templates/${id}/launch`,
      viewport: { width: 390, height: 844 },
    })) as GalleryPage;
    await phone.getByRole("heading", { name: "Launch Facebook Ads Campaign" }).waitFor();
    expect(await inPage<number>(phone, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await shot(phone, "gallery-launch-narrow");
    expect(await seriousViolations(phone)).toEqual([]);
    expect(unexpected(page, phone)).toEqual([]);
  });

  it("clones a system template and opens the copy in the builder; the template is unchanged", async () => {
    const original = await definitionId(server, "Code Review");
    const page = (await openPage(server, { path: `/templates?preview=${original}` })) as GalleryPage;
    await page.getByRole("dialog", { name: "Code Review" }).getByRole("button", { name: "Clone & customise" }).click();
    await page.waitForURL(/\/builder\/[^/]+$/);
    const copyId = new URL(page.url()).pathname.split("/").pop() as string;
    expect(copyId).not.toBe(original);
    const copy = await server.api.GET("/api/workflow-definitions/{id}", { params: { path: { id: copyId } } });
    expect(copy.data?.data).toMatchObject({ name: "Code Review (copy)", system: false, project_id: "default" });
    const kept = await server.api.GET("/api/workflow-definitions/{id}", { params: { path: { id: original } } });
    expect(kept.data?.data).toMatchObject({ name: "Code Review", system: true, version: 1 });

    // The copy is one's own: its preview offers to edit it in the builder, where it is not read-only.
    await page.goto(`${server.url}/templates?preview=${copyId}`);
    await page
      .getByRole("dialog", { name: "Code Review (copy)" })
      .getByRole("link", { name: "Edit in builder" })
      .click();
    await page.waitForURL(new RegExp(`/builder/${copyId}$`));
    await page.getByRole("button", { name: /^Save/ }).waitFor();
    expect(await page.getByText(/read-only/).count()).toBe(0);
  });

  it("shows a TypeScript template's pre-run graph and launches it", async () => {
    const id = await definitionId(server, "Implement Feature");
    const page = (await openPage(server, { path: `/templates?preview=${id}` })) as GalleryPage;
    const dialog = page.getByRole("dialog", { name: "Implement Feature" });
    await dialog.getByText("TS", { exact: true }).waitFor();
    await dialog.getByText(/A TypeScript workflow/).waitFor();
    await poll(() => dialog.locator(".def-node").count()).toBe(10);
    await dialog.getByRole("table").getByText("maxReviewRounds").waitFor();
    await dialog.getByRole("link", { name: "Use template" }).click();

    await page.getByRole("heading", { name: "Launch Implement Feature" }).waitFor();
    // a bounded integer: slider and number, as zod's schema bounds it (0..3)
    const rounds = page.getByRole("slider", { name: /Max review rounds/ });
    expect(await rounds.getAttribute("max")).toBe("3");
    await page.getByRole("spinbutton", { name: /Max review rounds/ }).fill("1");
    await page.getByLabel("Run name").fill("ts template run");
    await page.getByRole("switch", { name: "Test run" }).click();
    await page.getByRole("button", { name: "Launch run" }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.getByRole("heading", { name: "ts template run" }).waitFor();
    const run = await runOf(server, new URL(page.url()).pathname.split("/").pop() as string);
    expect(run.workflow_definition_id).toBe(id);
    expect(run.test_run).toBe(true);
    expect(run.args).toMatchObject({ maxReviewRounds: 1, packageManager: "pnpm", featureName: "Dark mode toggle" });
    expect(unexpected(page)).toEqual([]);
  });
});
