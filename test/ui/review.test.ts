/**
 * The Review inbox, the header's badge, the Active runs panel, sign-in and read-only access, in a real browser
 * against the real built server: runs are launched through the API and every change reaches the open page
 * through the live feed, without a reload.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { until, weftIn } from "../cli/helpers.js";
import { describeBrowser, openPage, seriousViolations, shot, startServer, type TestServer } from "./harness.js";

const NARROW = { width: 390, height: 844 };

/** The page's globals, in functions run in the page (this file is type-checked without the DOM library). */
interface PageGlobals {
  __noReload?: boolean;
  document: { activeElement: { textContent: string | null } | null };
  sessionStorage: { getItem(k: string): string | null };
  localStorage: { length: number };
  fetch: typeof fetch;
}

const REVIEWED = `
name: launch-post
steps:
  - id: draft
    command: "printf '%s' '{\\"title\\":\\"Launch week\\",\\"words\\":420,\\"tags\\":[\\"product\\",\\"news\\"]}'"
  - id: review
    needs: draft
    type: approval
    message: Is the launch post ready to publish?
  - id: publish
    needs: review
    command: echo published
`;

const SLOW = `
name: long-build
steps:
  - id: compile
    command: sleep 60
  - id: package
    needs: compile
    command: echo packaged
`;

async function launch(server: TestServer, source: string, name: string): Promise<string> {
  const { data, error } = await server.api.POST("/api/workflow-executions", {
    body: { workflow: { source, format: "yaml" }, name },
  });
  expect(error).toBeUndefined();
  return data!.data.id;
}

async function runStatus(server: TestServer, id: string): Promise<string> {
  const { data } = await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id } } });
  return data!.data.status;
}

async function stepStatus(server: TestServer, id: string, key: string): Promise<string | undefined> {
  const { data } = await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id } } });
  return data!.data.steps.find((s) => s.key === key)?.status;
}

const reviewLink = (page: Page) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Review/ });
/** The inbox's item for the step `review` of the run named `run`. */
const reviewItem = (page: Page, run: string) =>
  page.getByRole("listitem", { name: "review" }).filter({ has: page.getByRole("link", { name: run, exact: true }) });
const runRow = (page: Page, name: string) => page.getByRole("dialog").getByRole("listitem", { name });

describeBrowser("the review inbox and the header badge", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("an empty inbox says what shows up there", async () => {
    const page = await openPage(server, { path: "/inbox" });
    await page.getByRole("heading", { name: "Nothing waits for review" }).waitFor();
    await expect(page.getByText("When a run reaches an approval step").isVisible()).resolves.toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, "inbox-empty");
  });

  it("a step waiting for approval shows in the badge and the inbox; approving it inline finishes the run", async () => {
    const page = await openPage(server);
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    const id = await launch(server, REVIEWED, "launch post #1");

    await reviewLink(page).filter({ hasText: "1 step waiting for review" }).waitFor();
    await reviewLink(page).click(); // client-side navigation: no reload
    const item = reviewItem(page, "launch post #1");
    await item.waitFor();
    await expect(item.getByText("Is the launch post ready to publish?").isVisible()).resolves.toBe(true);
    await expect(item.getByRole("link", { name: "launch post #1" }).getAttribute("href")).resolves.toBe(`/runs/${id}`);
    await item.getByText("Launch week").first().waitFor(); // the output under review
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, "inbox");

    const narrow = await openPage(server, { path: "/inbox", viewport: NARROW });
    await reviewItem(narrow, "launch post #1").waitFor();
    await shot(narrow, "inbox-narrow");
    await narrow.close();

    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).__noReload = true;
    });
    await item.getByRole("textbox", { name: /Comment on review/ }).fill("Ship it, nice work");
    await item.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { name: "Nothing waits for review" }).waitFor();
    await expect.poll(() => runStatus(server, id), { timeout: 15_000 }).toBe("completed");
    await expect.poll(() => reviewLink(page).textContent()).not.toMatch(/waiting/);
    await expect(page.evaluate(() => (globalThis as unknown as PageGlobals).__noReload)).resolves.toBe(true);

    const steps = await server.api.GET("/api/workflow-steps/{id}", { params: { path: { id: `${id}:review` } } });
    expect(JSON.stringify(steps.data?.data)).toContain("Ship it, nice work");
    expect(page.errors).toEqual([]);
  });

  it("a refused decision brings the item back with the API's message", async () => {
    const id = await launch(server, REVIEWED, "launch post #2");
    const page = await openPage(server, { path: "/inbox" });
    const item = reviewItem(page, "launch post #2");
    await item.waitFor();
    // Decided elsewhere (the CLI, another tab) after this page listed it: the server refuses the second decision.
    await page.route("**/api/approvals*", (route) => route.abort()); // the list is not refreshed meanwhile
    await server.api.POST("/api/workflow-executions/{id}/steps/{step}/reject", {
      params: { path: { id, step: "review" } },
      body: { comment: "not yet" },
    });
    await item.getByRole("button", { name: "Approve" }).click();
    await item.getByRole("alert").waitFor();
    await expect(item.getByRole("alert").textContent()).resolves.toMatch(/not waiting|finished|failed/i);
    await page.unroute("**/api/approvals*");
  });
});

describeBrowser("the active runs panel", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("pauses and resumes a run inline, shows a run launched while it is open, and stops one after confirming", async () => {
    const first = await launch(server, SLOW, "nightly build");
    await expect.poll(() => stepStatus(server, first, "compile")).toBe("running");

    const page = await openPage(server, { path: "/inbox" });
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await page.getByRole("button", { name: "Active" }).click();
    const dialog = page.getByRole("dialog", { name: /Active runs/ });
    await dialog.waitFor();
    const row = runRow(page, "nightly build");
    await row.getByText("running", { exact: true }).waitFor();
    await expect(row.getByText("compile").isVisible()).resolves.toBe(true);

    await row.getByRole("button", { name: "Pause" }).click();
    await row.getByRole("button", { name: "Resume" }).waitFor();
    await expect.poll(() => runStatus(server, first)).toBe("paused");
    await row.getByText("paused", { exact: true }).waitFor();

    await row.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => runStatus(server, first)).toBe("running");
    await row.getByRole("button", { name: "Pause" }).waitFor();

    // Launched through the API while the panel is open: it appears without anything being clicked.
    const second = await launch(server, SLOW, "hotfix build");
    await runRow(page, "hotfix build").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, "active-panel");

    const hotfix = runRow(page, "hotfix build");
    await hotfix.getByRole("button", { name: "Stop" }).click();
    await hotfix.getByText("Stop this run?").waitFor();
    expect(await runStatus(server, second)).not.toBe("cancelled"); // nothing sent before confirming
    await hotfix.getByRole("button", { name: "Stop run" }).click();
    await expect.poll(() => runStatus(server, second)).toBe("cancelled");
    await hotfix.waitFor({ state: "detached" });

    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await expect(
      page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent?.trim()),
    ).resolves.toBe("Active");
    expect(page.errors).toEqual([]);
  });

  it("keeps the focus inside while open, and fits a narrow screen", async () => {
    const page = await openPage(server, { viewport: NARROW });
    await page.getByRole("button", { name: "Active" }).click();
    const dialog = page.getByRole("dialog", { name: /Active runs/ });
    await runRow(page, "nightly build").waitFor();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      await expect(
        dialog.evaluate((d) =>
          d.contains((globalThis as unknown as { document: { activeElement: never } }).document.activeElement),
        ),
      ).resolves.toBe(true);
    }
    await shot(page, "active-panel-narrow");
    expect(await seriousViolations(page)).toEqual([]);
  });
});

describeBrowser("sign-in and read-only access", () => {
  const ADMIN = "ui-review-admin-token-0123456789";
  let server: TestServer;
  let viewer: string;
  let reviewRun: string;
  beforeAll(async () => {
    server = await startServer({ tokens: [ADMIN] });
    const r = await weftIn(server.dataDir, [
      "token",
      "create",
      "--name",
      "viewer",
      "--project",
      "*:read",
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    viewer = JSON.parse(r.stdout).token;
    reviewRun = await launch(server, REVIEWED, "launch post (tokens)");
    await launch(server, SLOW, "build (tokens)");
    await until(async () => (await stepStatus(server, reviewRun, "review")) === "waiting", "the review step to wait");
    // A server start, a CLI process and two launches: under a loaded CI machine that can pass the default 60 s.
  }, 150_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a wrong token with a message, and signs in with the right one: the live feed connects", async () => {
    const page = await openPage(server);
    const field = page.getByLabel("API token");
    await field.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, "sign-in");
    await field.fill("not-a-token-the-server-knows");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "The server does not know this token" }).waitFor();
    await shot(page, "sign-in-refused");
    const narrow = await openPage(server, { viewport: NARROW });
    await narrow.getByLabel("API token").waitFor();
    await shot(narrow, "sign-in-narrow");

    await field.fill(ADMIN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await reviewLink(page).filter({ hasText: "1 step waiting for review" }).waitFor();
    // Kept for this tab only.
    await expect(
      page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem("weft.token")),
    ).resolves.toBe(ADMIN);
    await expect(page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.length)).resolves.toBe(0);
    expect(page.url()).not.toContain(ADMIN);
  });

  it("a read-only token sees no approve or pause buttons, says why, and a forged approval is refused", async () => {
    // From "/": with tokens configured the server answers a deep link (/inbox) with a 401 today (reported).
    const page = await openPage(server, { token: viewer });
    await reviewLink(page).click();
    const item = reviewItem(page, "launch post (tokens)");
    await item.waitFor();
    await item.getByText("Read-only access").waitFor();
    await expect(item.getByRole("button", { name: "Approve" }).count()).resolves.toBe(0);
    await expect(item.getByRole("button", { name: "Reject" }).count()).resolves.toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, "inbox-read-only");

    await page.getByRole("button", { name: "Active" }).click();
    const row = runRow(page, "build (tokens)");
    await row.getByText("Read-only access").waitFor();
    await expect(
      page
        .getByRole("dialog")
        .getByRole("button", { name: /Pause|Resume|Stop/ })
        .count(),
    ).resolves.toBe(0);
    await shot(page, "active-panel-read-only");

    const status = await page.evaluate(
      async ({ id, token }) => {
        const res = await (globalThis as unknown as PageGlobals).fetch(
          `/api/workflow-executions/${id}/steps/review/approve`,
          {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: "{}",
          },
        );
        return { status: res.status, body: (await res.json()) as { error: { code: string } } };
      },
      { id: reviewRun, token: viewer },
    );
    expect(status.status).toBe(403);
    expect(status.body.error.code).toBe("WEFT_FORBIDDEN");
    expect(await stepStatus(server, reviewRun, "review")).toBe("waiting");
  });
});
