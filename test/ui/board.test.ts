/**
 * The runs board in a real browser: cards appear and move between columns live from the WebSocket feed, the
 * filters land in the URL, and after the server is killed and restarted the page reconnects and catches up —
 * all without a reload.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { tempDir } from "../cli/helpers.js";
import { describeBrowser, openPage, seriousViolations, shot, startServer, type TestServer } from "./harness.js";

// Three phases; `outline` holds until the test creates its gate file (at most ~2 minutes, so that a script a
// killed server leaves behind ends by itself), `approve` waits for a person.
const WORKFLOW = `name: launch-post
phases: [draft, review, publish]
steps:
  - id: outline
    phase: draft
    command: "n=0; while [ ! -f '{{ args.gate }}' ] && [ $n -lt 2400 ]; do sleep 0.05; n=$((n+1)); done; echo outlined"
  - id: write
    phase: draft
    needs: outline
    command: echo written
  - id: approve
    phase: review
    type: approval
    needs: write
  - id: publish
    phase: publish
    needs: approve
    command: echo published
`;

const QUICK = "name: quick-check\nsteps:\n  - { id: check, command: echo ok }\n";

type BoardPage = Page & { errors: string[] };

const column = (page: Page, title: string) =>
  page.locator("section.board-column").filter({ has: page.getByRole("heading", { name: new RegExp(`^${title}\\b`) }) });
const card = (page: Page, id: string) => page.locator(`.run-card[data-run-id="${id}"]`);

async function launch(
  server: TestServer,
  source: string,
  name: string,
  args: Record<string, unknown> = {},
  by = "board-test",
) {
  const { data, error } = await server.api.POST("/api/workflow-executions", {
    body: { workflow: { source }, name, args, triggered_by: by },
  });
  if (!data) throw new Error(`launch refused: ${JSON.stringify(error)}`);
  return data.data.id;
}

async function runStatus(server: TestServer, id: string): Promise<string | undefined> {
  const { data } = await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id } } });
  return data?.data.status;
}

async function approve(server: TestServer, id: string): Promise<void> {
  const { error } = await server.api.POST("/api/workflow-executions/{id}/steps/{step}/approve", {
    params: { path: { id, step: "approve" } },
    body: { by: "board-test" },
  });
  if (error) throw new Error(`approve refused: ${JSON.stringify(error)}`);
}

describeBrowser("the runs board", () => {
  let server: TestServer;
  let page: BoardPage;
  const gates = tempDir("weft-board-");

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    writeFileSync(join(gates, "never"), "go");
    await server?.stop();
  });

  it("says how to launch a run when there is none", async () => {
    page = await openPage(server);
    await page.getByRole("heading", { name: "No runs yet" }).waitFor();
    await expect(page.getByText("weft run workflow.yaml").isVisible()).resolves.toBe(true);
    await shot(page, "board-empty");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("shows a launched run at once and moves its card through the phases live", async () => {
    const gate = join(gates, "outline");
    const id = await launch(server, WORKFLOW, "Spring launch post", { gate });
    // The first run: the empty state gives way to the status columns, with no reload.
    await card(page, id).waitFor();
    await column(page, "Running").locator(`[data-run-id="${id}"]`).waitFor();

    // One workflow picked: its phases are the columns, and the filter is in the URL.
    await page.getByRole("combobox", { name: "Workflow" }).selectOption("launch-post");
    await expect.poll(() => new URL(page.url()).search).toBe("?workflow=launch-post");
    await column(page, "draft").locator(`[data-run-id="${id}"]`).waitFor();
    const c = card(page, id);
    await expect(c.textContent()).resolves.toContain("0 of 4 steps");
    await expect(c.textContent()).resolves.toContain("outline");
    await expect(c.textContent()).resolves.toContain("board-test");

    writeFileSync(gate, "go");
    await column(page, "review").locator(`[data-run-id="${id}"]`).waitFor();
    await c.getByText("Needs approval").waitFor();
    await expect.poll(() => c.textContent()).toContain("2 of 4 steps");
    await shot(page, "board-phases");

    await approve(server, id);
    await column(page, "Done").locator(`[data-run-id="${id}"]`).waitFor();
    await expect.poll(() => c.textContent()).toContain("4 of 4 steps");
    await expect(c.getByText("Needs approval").count()).resolves.toBe(0);

    // A card opens its run page (loaded on demand), and Back returns to the same board.
    await c.click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/runs/${id}`);
    await page.locator("main h1").first().waitFor();
    await page.goBack();
    await column(page, "Done").locator(`[data-run-id="${id}"]`).waitFor();
    expect(page.errors).toEqual([]);
  });

  it("filters by status, triggered-by and text, kept in the URL", async () => {
    const other = await launch(server, QUICK, "Nightly check", {}, "cron");
    await page.getByRole("combobox", { name: "Workflow" }).selectOption("");
    await column(page, "Completed").locator(`[data-run-id="${other}"]`).waitFor();
    await expect(column(page, "Completed").locator(".run-card").count()).resolves.toBe(2);

    await page.getByRole("searchbox").fill("nightly");
    await expect.poll(() => new URL(page.url()).searchParams.get("q")).toBe("nightly");
    await expect.poll(() => column(page, "Completed").locator(".run-card").count()).toBe(1);
    await expect(card(page, other).isVisible()).resolves.toBe(true);

    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByLabel("Status").selectOption("completed");
    await expect.poll(() => page.locator("section.board-column").count()).toBe(1);
    await page.getByLabel("Triggered by").selectOption("board-test");
    await expect.poll(() => new URL(page.url()).search).toBe("?status=completed&by=board-test");
    await expect.poll(() => page.locator(".run-card").count()).toBe(1);
    await expect(column(page, "Completed").getByText("Spring launch post").isVisible()).resolves.toBe(true);

    // The URL alone restores the filters (a link someone shares).
    const again = await openPage(server, { path: "/?workflow=quick-check&q=night" });
    await card(again, other).waitFor();
    await expect(again.getByRole("combobox", { name: "Workflow" }).inputValue()).resolves.toBe("quick-check");
    await expect(again.getByRole("searchbox").inputValue()).resolves.toBe("night");
    await expect(again.locator(".run-card").count()).resolves.toBe(1);
    await page.getByRole("button", { name: "Clear" }).click();
    await expect.poll(() => new URL(page.url()).search).toBe("");
  });

  it("looks right at desktop and phone widths, with no serious accessibility violation", async () => {
    await launch(server, WORKFLOW, "Autumn campaign: a rather long run name that must not overflow its card", {
      gate: join(gates, "never"),
    });
    await page.locator(".run-card").nth(2).waitFor();
    await shot(page, "board");
    expect(await seriousViolations(page)).toEqual([]);
    const narrow = await openPage(server, { viewport: { width: 390, height: 844 } });
    await narrow.locator(".run-card").first().waitFor();
    await shot(narrow, "board-narrow");
    expect(await seriousViolations(narrow)).toEqual([]);
  });

  it("reconnects after the server is killed and restarted, and catches up without a reload", async () => {
    const gate = join(gates, "restart");
    writeFileSync(gate, "go");
    const waiting = await launch(server, WORKFLOW, "Survives a restart", { gate });
    await page.getByRole("combobox", { name: "Workflow" }).selectOption("launch-post");
    await column(page, "review").locator(`[data-run-id="${waiting}"]`).waitFor();
    // A mark that a reload would erase.
    await page.evaluate(() => {
      (globalThis as unknown as { boardMark: number }).boardMark = 42;
    });

    server.kill();
    const status = page.getByRole("status").filter({ hasText: /Reconnecting|Live/ });
    await page.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
    // Keep the page away while the run progresses and another one is launched.
    await page.context().setOffline(true);
    server = await startServer({ port: server.port, dataDir: server.dataDir });
    await approve(server, waiting);
    const added = await launch(server, WORKFLOW, "Launched while away", { gate });
    await expect.poll(() => runStatus(server, waiting), { timeout: 20_000 }).toBe("completed");
    await expect.poll(() => runStatus(server, added), { timeout: 20_000 }).toBe("waiting");
    await expect(status.textContent()).resolves.toContain("Reconnecting");

    await page.context().setOffline(false);
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor({ timeout: 30_000 });
    await column(page, "Done").locator(`[data-run-id="${waiting}"]`).waitFor();
    await column(page, "review").locator(`[data-run-id="${added}"]`).waitFor();
    await expect(page.evaluate(() => (globalThis as unknown as { boardMark?: number }).boardMark)).resolves.toBe(42);
  });
});
