/**
 * The run page (/runs/:id) in a real browser against the real server: the live DAG recolouring as steps end,
 * a running step's log growing in the drawer, retry of a failed step, rewind into a fork linked both ways,
 * pause/resume, approval with a comment, hostile artifacts that never run script, axe, screenshots.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBrowser, openPage, seriousViolations, shot, startServer, type TestServer } from "./harness.js";

const LIVE = `name: live-demo
phases: [prepare, work, finish]
steps:
  - id: gate
    name: Go ahead
    phase: prepare
    type: approval
    message: Start the demo?
  - id: prepare
    name: Prepare workspace
    phase: prepare
    needs: gate
    command: echo ready
  - id: fanout
    name: Build variants
    phase: work
    needs: prepare
    foreach: "{{ args.items }}"
    command: echo "variant {{ item }}"
  - id: stream
    name: Stream logs
    phase: work
    needs: prepare
    on_failure: notify
    command: for i in $(seq 1 16); do echo "line $i"; sleep 0.5; done
  - id: report
    name: Report
    phase: finish
    needs: [fanout, stream]
    type: noop
  - id: notify
    name: Notify on failure
    phase: finish
    type: noop
`;

const FLAKY = `name: flaky
steps:
  - id: setup
    command: echo setup
  - id: flaky
    needs: setup
    env:
      MARK: "{{ args.mark }}"
    command: 'if [ -f "$MARK" ]; then echo second try; else touch "$MARK"; echo "first try fails" >&2; exit 3; fi'
  - id: after
    needs: flaky
    type: noop
`;

const TWO = `name: two-steps
steps:
  - id: first
    command: echo first
  - id: second
    needs: first
    command: echo second
`;

const SLOW = `name: slow
steps:
  - id: gate
    type: approval
  - id: first
    needs: gate
    command: sleep 4; echo first
  - id: second
    needs: first
    command: echo second
`;

const APPROVAL = `name: gated
steps:
  - id: draft
    command: echo draft
  - id: review
    needs: draft
    type: approval
    message: Ship the draft?
  - id: publish
    needs: review
    type: noop
`;

async function launch(
  server: TestServer,
  source: string,
  args: Record<string, unknown> = {},
  name?: string,
): Promise<string> {
  const { data, error } = await server.api.POST("/api/workflow-executions", {
    body: { workflow: { source }, args, ...(name ? { name } : {}) },
  });
  if (!data) throw new Error(`launch refused: ${JSON.stringify(error)}`);
  return data.data.id;
}

async function runStatus(server: TestServer, id: string): Promise<string> {
  const { data } = await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id } } });
  return data?.data.status ?? "unknown";
}

/** Errors the page reported, but not the 404s of logs a step has not written yet (the browser logs those). */
const errorsOf = (page: { errors: string[] }) => page.errors.filter((e) => !e.includes("status of 404"));

const node = (page: Page, step: string) => page.locator(`.step-node[data-step="${step}"]`);

/** A marker set in the page only if the page did not reload. */
async function markPage(page: Page) {
  await page.evaluate(() => {
    (globalThis as unknown as { __stay: number }).__stay = 1;
  });
}
async function samePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { __stay?: number }).__stay === 1);
}

/** The pages a test opened, closed before the server stops (their open streams would hold it up). */
const opened: Page[] = [];
async function open(server: TestServer, opts: Parameters<typeof openPage>[1]) {
  const page = await openPage(server, opts);
  opened.push(page);
  return page;
}

describeBrowser("the run page", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    for (const p of opened) await p.context().close();
    await server?.stop();
  });

  it("shows the live DAG recolouring as steps end, and a running step's log growing", async () => {
    const id = await launch(server, LIVE, { items: ["a", "b", "c"] }, "Live demo run");
    const page = await open(server, { path: `/runs/${id}` });
    await page.getByRole("heading", { level: 1, name: "Live demo run" }).waitFor();
    await markPage(page);
    // the on_failure edge is drawn apart from plain dependencies, labelled
    const failureEdge = page.locator(".react-flow__edge.run-edge-failure");
    await failureEdge.first().waitFor();
    expect(await failureEdge.first().textContent()).toContain("on failure");
    // the run waits at its gate (purple); the approval (through the API) sets it going, live
    await node(page, "gate").and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 30_000 });
    expect(await node(page, "prepare").getAttribute("data-status")).toBe("pending");
    const ok = await server.api.POST("/api/workflow-executions/{id}/steps/{step}/approve", {
      params: { path: { id, step: "gate" } },
      body: {},
    });
    expect(ok.response.status).toBe(200);
    await node(page, "gate").and(page.locator('[data-status="completed"]')).waitFor();
    await node(page, "prepare").and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
    await node(page, "stream").and(page.locator('[data-status="running"]')).waitFor();
    await node(page, "stream").click();
    const drawer = page.locator('[data-step-drawer="stream"]');
    await drawer.waitFor();
    await expect.poll(() => drawer.getByRole("tab", { name: "Log" }).getAttribute("aria-selected")).toBe("true");
    const log = drawer.getByRole("log", { name: "Step log" });
    await log.getByText("line 1", { exact: true }).waitFor();
    const early = await log.locator(".log-line").count();
    expect(early).toBeLessThan(16); // the step is still printing
    await expect.poll(() => log.locator(".log-line").count(), { timeout: 20_000 }).toBeGreaterThan(early);
    await shot(page, "run-page-drawer");
    expect(await seriousViolations(page)).toEqual([]);

    // nodes change colour as the run goes on, without a reload
    await node(page, "stream").and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
    await node(page, "report").and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
    await node(page, "notify").and(page.locator('[data-status="skipped"]')).waitFor();
    await expect.poll(() => node(page, "fanout").textContent()).toContain("3/3 items");
    await page.getByTestId("run-status").filter({ hasText: "completed" }).waitFor();
    await log.getByText("line 16", { exact: true }).waitFor();
    expect(await samePage(page)).toBe(true);

    await page.getByRole("button", { name: "Close step details" }).click();
    await drawer.waitFor({ state: "detached" });
    await shot(page, "run-page");
    expect(await seriousViolations(page)).toEqual([]);

    // narrow: the same page, the drawer full screen
    const narrow = await open(server, { path: `/runs/${id}`, viewport: { width: 390, height: 844 } });
    await node(narrow, "report").and(narrow.locator('[data-status="completed"]')).waitFor();
    await shot(narrow, "run-page-narrow");
    await node(narrow, "stream").click();
    await narrow.locator('[data-step-drawer="stream"]').getByRole("tab", { name: "Output" }).click();
    await narrow.locator('[data-step-drawer="stream"]').getByRole("region", { name: "Step output" }).waitFor();
    await shot(narrow, "run-page-narrow-drawer");
    expect(await seriousViolations(narrow)).toEqual([]);
    expect([...errorsOf(page), ...errorsOf(narrow)]).toEqual([]);
  }, 180_000);

  it("retries a failed step from the page; it runs again and the run completes", { timeout: 120_000 }, async () => {
    const mark = join(mkdtempSync(join(tmpdir(), "weft-ui-flaky-")), "mark");
    const id = await launch(server, FLAKY, { mark });
    await expect.poll(() => runStatus(server, id), { timeout: 30_000 }).toBe("failed");
    const page = await open(server, { path: `/runs/${id}` });
    await node(page, "flaky").and(page.locator('[data-status="failed"]')).waitFor();
    await node(page, "after")
      .and(page.locator('[data-status="skipped"], [data-status="cancelled"], [data-status="pending"]'))
      .waitFor();
    await node(page, "flaky").click();
    const drawer = page.locator('[data-step-drawer="flaky"]');
    await drawer.getByText("WEFT_").first().waitFor();
    await drawer.getByRole("button", { name: "Retry step" }).click();
    await node(page, "flaky").and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
    await node(page, "after").and(page.locator('[data-status="completed"]')).waitFor();
    await page.getByTestId("run-status").filter({ hasText: "completed" }).waitFor();
    // the second attempt is listed with the first one's error
    await drawer.getByRole("tab", { name: "Overview" }).click();
    await drawer.locator(".attempt").nth(1).waitFor();
    expect(await drawer.locator(".attempt-error").first().textContent()).toMatch(/exit|code 3|failed/i);
    expect(errorsOf(page)).toEqual([]);
  });

  it("rewinds from a checkpoint into a fork linked both ways", { timeout: 120_000 }, async () => {
    const id = await launch(server, TWO, {}, "Parent run");
    await expect.poll(() => runStatus(server, id), { timeout: 30_000 }).toBe("completed");
    const page = await open(server, { path: `/runs/${id}` });
    await page.getByRole("heading", { level: 1, name: "Parent run" }).waitFor();
    await page.getByRole("button", { name: "Rewind" }).click();
    const dialog = page.getByRole("dialog", { name: "Rewind from a checkpoint" });
    await dialog.locator(".checkpoint").first().waitFor();
    await dialog.getByText("after first").click();
    await dialog.getByRole("button", { name: "Fork a new run" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/runs/") && !u.pathname.endsWith(id));
    const forkId = new URL(page.url()).pathname.split("/").pop() as string;
    expect(forkId).not.toBe(id);
    // the fork links to its parent…
    const parentLink = page.getByTestId("forked-from");
    await parentLink.waitFor();
    await expect.poll(() => parentLink.textContent()).toBe("Parent run");
    await page.getByTestId("run-status").filter({ hasText: "completed" }).waitFor({ timeout: 30_000 });
    await parentLink.click();
    await page.waitForURL((u) => u.pathname === `/runs/${id}`);
    // …and the parent to its fork
    const forks = page.getByRole("list", { name: "Runs forked from this one" });
    await forks.waitFor();
    await forks.getByRole("link").first().click();
    await page.waitForURL((u) => u.pathname === `/runs/${forkId}`);
    expect(errorsOf(page)).toEqual([]);
  });

  it("pauses and resumes from the page: the DAG stops, then goes on", { timeout: 120_000 }, async () => {
    const id = await launch(server, SLOW);
    const page = await open(server, { path: `/runs/${id}` });
    await node(page, "gate").and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 30_000 });
    await server.api.POST("/api/workflow-executions/{id}/steps/{step}/approve", {
      params: { path: { id, step: "gate" } },
      body: {},
    });
    await node(page, "first").and(page.locator('[data-status="running"]')).waitFor();
    await page.getByRole("button", { name: "Pause" }).click();
    // optimistic: paused at once, and the server agrees
    await page.getByTestId("run-status").filter({ hasText: "paused" }).waitFor();
    await expect.poll(() => runStatus(server, id)).toBe("paused");
    // the running step finishes; the next one does not start
    await node(page, "first").and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
    expect(await node(page, "second").getAttribute("data-status")).toBe("pending");
    await page.getByRole("button", { name: "Resume" }).click();
    await node(page, "second").and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
    await page.getByTestId("run-status").filter({ hasText: "completed" }).waitFor();
    expect(errorsOf(page)).toEqual([]);
  });

  it("a refused command is rolled back with the API's message", async () => {
    const id = await launch(server, APPROVAL);
    const page = await open(server, { path: `/runs/${id}` });
    await node(page, "review").and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 30_000 });
    // the page stops hearing live events; someone else cancels the run behind its back
    await page.routeWebSocket(/\/api\/ws/, () => {});
    await page.reload();
    await node(page, "review").and(page.locator('[data-status="waiting"]')).waitFor();
    await server.api.POST("/api/workflow-executions/{id}/cancel", { params: { path: { id } }, body: {} });
    await page.getByRole("button", { name: "Pause" }).click();
    // refused (409): rolled back, the API's message shown, then the server's truth
    await page.getByRole("alert").filter({ hasText: "Could not pause the run" }).waitFor();
    expect(await page.getByRole("alert").filter({ hasText: "Could not pause" }).textContent()).toMatch(/cancelled/);
    await page.getByTestId("run-status").filter({ hasText: "cancelled" }).waitFor();
  });

  it("approves a waiting step with a comment from the page", { timeout: 120_000 }, async () => {
    const id = await launch(server, APPROVAL, {}, "Gated run");
    const page = await open(server, { path: `/runs/${id}` });
    await node(page, "review").and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 30_000 });
    await page.locator(".banner-waiting").getByRole("button", { name: "Review" }).click();
    const drawer = page.locator('[data-step-drawer="review"]');
    await drawer.getByText("waits for your approval").waitFor();
    await drawer.getByLabel("Comment (optional)").fill("lgtm from the UI");
    await drawer.getByRole("button", { name: "Approve" }).click();
    await node(page, "review").and(page.locator('[data-status="completed"]')).waitFor();
    await node(page, "publish").and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 });
    await page.getByTestId("run-status").filter({ hasText: "completed" }).waitFor();
    await drawer.getByRole("tab", { name: "Output" }).click();
    await drawer.getByText('"lgtm from the UI"').waitFor();
    // a run comment, posted from the page, arrives in the list
    await page.getByLabel("Comment on the run").fill("Shipped after review");
    await page.getByRole("button", { name: "Comment", exact: true }).click();
    await page.locator(".comment-text").filter({ hasText: "Shipped after review" }).waitFor();
    expect(errorsOf(page)).toEqual([]);
  });

  it("hostile artifacts (HTML, SVG with script, a name with quotes and CRLF) never run script", {
    timeout: 120_000,
  }, async () => {
    const id = await launch(server, TWO, {}, "Artifacts run");
    await expect.poll(() => runStatus(server, id), { timeout: 30_000 }).toBe("completed");
    const page = await open(server, { path: `/runs/${id}` });
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.getByRole("heading", { level: 1, name: "Artifacts run" }).waitFor();
    const script = "<script>window.top.__pwned = 1; alert('pwned')</script>";
    // uploaded through the page (multipart from the browser)
    await page.getByLabel("Upload a file to the run").setInputFiles({
      name: `evil "quoted" 'name'.html`,
      mimeType: "text/html",
      buffer: Buffer.from(`<!doctype html><h1>hi</h1>${script}<img src=x onerror="window.top.__pwned=2">`),
    });
    await page.locator(".artifact-name").filter({ hasText: "evil" }).waitFor();
    // through the API: an SVG with script, a name with CRLF, markdown with script and an event handler
    const upload = async (name: string, type: string, body: string, fileName = "upload.bin") => {
      const form = new FormData();
      form.append("name", name);
      form.append("file", new Blob([body], { type }), fileName);
      const res = await fetch(`${server.url}/api/workflow-executions/${id}/artifacts`, { method: "POST", body: form });
      expect(res.status).toBe(201);
      return ((await res.json()) as { data: { id: string } }).data.id;
    };
    const svgId = await upload(
      'logo\r\nContent-Type: text/html\r\n".svg',
      "image/svg+xml",
      `<svg xmlns="http://www.w3.org/2000/svg" onload="window.top.__pwned=3">${script.replace("<script>", "<script>//")}</svg>`,
      "logo.svg",
    );
    await upload(
      "notes.md",
      "text/markdown",
      `# Notes\n\nSome **bold** text.\n\n${script}\n\n<img src="x" onerror="window.top.__pwned=4">\n\n[link](javascript:window.top.__pwned=5)\n`,
      "notes.md",
    );
    // a raster image gets a thumbnail (a blob: URL of the bytes fetched with the token)
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    const form = new FormData();
    form.append("file", new Blob([png], { type: "image/png" }), "pixel.png");
    expect(
      (await fetch(`${server.url}/api/workflow-executions/${id}/artifacts`, { method: "POST", body: form })).status,
    ).toBe(201);
    const files = page.getByRole("region", { name: "Files" });
    await files.locator(".artifact").nth(3).waitFor();
    const thumb = files.getByRole("img", { name: "Preview of pixel.png" });
    await thumb.waitFor();
    expect(await thumb.getAttribute("src")).toMatch(/^blob:/);
    // markdown is rendered, sanitised
    await files.locator(".artifact").filter({ hasText: "notes.md" }).getByRole("button", { name: "Preview" }).click();
    await files.locator(".markdown-body strong").filter({ hasText: "bold" }).waitFor();
    expect(await files.locator(".markdown-body script, .markdown-body [onerror]").count()).toBe(0);
    expect(await files.locator('.markdown-body a[href^="javascript"]').count()).toBe(0);
    // the names are shown as text, control characters replaced
    const names = await files.locator(".artifact-name").allTextContents();
    expect(names.some((n) => n.startsWith("logo") && n.includes('"'))).toBe(true);
    expect(names.every((n) => !/[\r\n]/.test(n))).toBe(true);
    // no artifact is embedded from the API (as an image, a frame, an object): only blob: thumbnails of rasters
    expect(await page.locator("iframe, object, embed").count()).toBe(0);
    expect(await page.locator('img[src*="/api/"]').count()).toBe(0);
    expect(await page.locator('img[src^="blob:"]').count()).toBe(1);

    // downloads: the links answer as attachments, sandboxed; clicking saves a file, nothing renders
    const svg = files.locator(".artifact").filter({ hasText: "logo" });
    const href = await svg.getByRole("link", { name: /Download/ }).getAttribute("href");
    expect(href).toBe(`/api/artifacts/${svgId}`);
    const res = await fetch(`${server.url}${href}`);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(res.headers.get("content-disposition")).not.toMatch(/[\r\n]/);
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      svg.getByRole("link", { name: /Download/ }).click(),
    ]);
    expect(download.suggestedFilename()).not.toMatch(/["'\r\n\\/]/);
    const html = files.locator(".artifact").filter({ hasText: "evil" });
    const [d2] = await Promise.all([
      page.waitForEvent("download"),
      html.getByRole("link", { name: /Download/ }).click(),
    ]);
    expect(d2.suggestedFilename()).toMatch(/\.html$/);

    await shot(page, "run-page-artifacts");
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    // Chrome reports the inline handlers of the markdown (DOMPurify parses it in an inert document, where
    // nothing runs) as refused by the page's CSP: the second line of defence speaking, not a script running.
    expect(errorsOf(page).filter((e) => !e.startsWith("Executing inline event handler violates"))).toEqual([]);
  });
});
