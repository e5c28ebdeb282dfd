/**
 * The builder's YAML pane in a real Chromium, alone: web/test/yaml-pane is a test page built with the web app's
 * Vite config and served with the UI's own security headers (so CodeMirror's injected styles meet the real
 * CSP). The builder page's own tests cover the pane inside the page.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { UI_SECURITY_HEADERS } from "../../src/server/ui.js";
import { repoRoot, tempDir } from "../cli/helpers.js";
import { describeBrowser, openPage, seriousViolations, shot } from "./harness.js";

/** What the page-side callbacks use (this file is type-checked without the DOM library). */
interface Win {
  getComputedStyle(e: unknown): { display: string };
  document: { documentElement: { scrollWidth: number } };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

describeBrowser("YAML pane (CodeMirror 6)", () => {
  let server: Server;
  let url: string;
  let page: Page & { errors: string[] };

  beforeAll(async () => {
    const out = tempDir("weft-yaml-pane-");
    execFileSync(
      process.execPath,
      [
        join(repoRoot, "node_modules/vite/bin/vite.js"),
        "build",
        join(repoRoot, "web/test/yaml-pane"),
        "--config",
        join(repoRoot, "web/vite.config.ts"),
        "--outDir",
        out,
        "--emptyOutDir",
        "--logLevel",
        "warn",
      ],
      { cwd: repoRoot, stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } },
    );
    server = createServer((req, res) => {
      if (req.url === "/favicon.ico") {
        res.writeHead(204, UI_SECURITY_HEADERS);
        res.end();
        return;
      }
      const path = normalize(new URL(req.url ?? "/", "http://x").pathname).replace(/^(\.\.[/\\])+/, "");
      const file = join(out, path === "/" ? "index.html" : path);
      try {
        const body = readFileSync(file);
        res.writeHead(200, {
          ...UI_SECURITY_HEADERS,
          "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        });
        res.end(body);
      } catch {
        res.writeHead(404, UI_SECURITY_HEADERS);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    page = await openPage({ url });
    await page.getByRole("textbox", { name: "Workflow YAML" }).waitFor();
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const editor = () => page.getByRole("textbox", { name: "Workflow YAML" });
  const output = (name: string) => page.locator(`output[aria-label="${name}"]`);
  /** The editor renders only the lines in view: find a line by its text. */
  const line = (text: string) => page.locator(".cm-line").filter({ hasText: text }).first();
  /** Puts the cursor at the end of line n (1-based) with the keyboard. */
  async function goToLine(n: number): Promise<void> {
    await editor().focus();
    await page.keyboard.press("Control+Home");
    for (let i = 1; i < n; i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
  }

  it("renders under the UI's CSP, styled, with an accessible label and no serious axe violation", async () => {
    // CodeMirror's base theme (injected styles) applies: its editor is a flex column.
    expect(
      await page.locator(".cm-editor").evaluate((e) => (globalThis as unknown as Win).getComputedStyle(e).display),
    ).toBe("flex");
    expect(page.errors).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await editor().getAttribute("aria-multiline")).toBe("true");
    await shot(page, "yaml-pane");
    await page.setViewportSize({ width: 390, height: 844 });
    // Narrow: the editor keeps to its box (long lines scroll inside it), the page does not scroll sideways.
    await shot(page, "yaml-pane-narrow");
    expect(
      await page.evaluate(() => (globalThis as unknown as Win).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("reports the step the cursor is in", async () => {
    await line("agent: researcher").click();
    await expect.poll(() => output("Cursor step").textContent()).toBe("research");
    await line("needs: research").click();
    await expect.poll(() => output("Cursor step").textContent()).toBe("write");
    await line("name: demo").click();
    await expect.poll(() => output("Cursor step").textContent()).toBe("(none)");
  });

  it("reports typing through onChange; a syntax error shows in the gutter at its line", async () => {
    await goToLine(13);
    await page.keyboard.insertText("\n    bad: [");
    await expect.poll(() => output("Syntax").textContent()).not.toBe("ok");
    await expect.poll(() => page.locator(".cm-gutter-lint .cm-lint-marker-error").count()).toBeGreaterThan(0);
    expect(Number(await output("Changes").textContent())).toBeGreaterThan(0);
    await page.keyboard.press("Control+z");
    await expect.poll(() => output("Syntax").textContent()).toBe("ok");
    await expect.poll(() => page.locator(".cm-gutter-lint .cm-lint-marker-error").count()).toBe(0);
    // A new step typed in the editor reaches the page's graph.
    await page.keyboard.press("Control+End");
    await page.keyboard.insertText("\n  - id: typed\n    command: echo typed\n");
    await expect.poll(() => output("Steps").textContent()).toContain("typed");
  });

  it("takes a change from outside without moving the cursor or reporting it back", async () => {
    await goToLine(10);
    const changes = await output("Changes").textContent();
    const active = await page.locator(".cm-activeLine").textContent();
    await page.getByRole("button", { name: "Add a step from outside" }).click();
    await expect.poll(() => output("Steps").textContent()).toMatch(/added-\d+/);
    expect(await page.locator(".cm-activeLine").textContent()).toBe(active);
    expect(await output("Changes").textContent()).toBe(changes);
    // Typing goes on where the cursor was (back in the editor: the button took the focus); the editor's undo
    // undoes only its own typing, not the change from outside.
    await editor().focus();
    await page.keyboard.type("!");
    await page.keyboard.press("Control+z");
    await expect
      .poll(() => line("Collect facts").textContent())
      .toBe('    prompt: "Collect facts about {{ args.topic }}"');
    await expect.poll(() => output("Steps").textContent()).toMatch(/added-\d+/);
    await page.keyboard.type("!");
    await expect
      .poll(() => line("Collect facts").textContent())
      .toBe('    prompt: "Collect facts about {{ args.topic }}"!');
    await page.keyboard.press("Backspace");
  });

  it("shows a validation problem at its line:column, with its message", async () => {
    await page.getByRole("button", { name: "Show a validation problem" }).click();
    const marker = page.locator(".cm-gutter-lint .cm-lint-marker-error").first();
    await marker.waitFor();
    await expect.poll(() => page.locator(".cm-lintRange-error").first().textContent()).toBe("research");
    await marker.hover();
    await expect.poll(() => page.locator(".cm-tooltip-lint").textContent()).toContain("no step has that id");
  });

  it("highlights the selected node's step and scrolls to it", async () => {
    await page.getByLabel("Selected node").selectOption("filler-12");
    const highlighted = page.locator(".cm-step-selected");
    await expect.poll(() => highlighted.count()).toBe(3);
    await expect.poll(() => highlighted.first().textContent()).toBe("  - id: filler-12");
    await expect.poll(() => highlighted.first().isVisible()).toBe(true);
    await shot(page, "yaml-pane-selected");
    await page.getByLabel("Selected node").selectOption("");
    await expect.poll(() => highlighted.count()).toBe(0);
  });

  it("completes {{ args.… }} and {{ steps.<id>.output }} references", async () => {
    const options = page.locator(".cm-tooltip-autocomplete li");
    await goToLine(15);
    await page.keyboard.type(" {{ args.");
    await expect.poll(() => options.allTextContents()).toEqual([expect.stringContaining("topic")]);
    await options.first().click();
    await page.keyboard.type(" }} {{ steps.re");
    await expect.poll(() => options.allTextContents()).toEqual([expect.stringContaining("research")]);
    await options.first().click();
    await page.keyboard.type(".");
    await expect
      .poll(() => options.allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining("output")]));
    await page.keyboard.press("Escape");
    expect(await line("Write it up").textContent()).toBe(
      '    prompt: "Write it up: {{ steps.research.output }}" {{ args.topic }} {{ steps.research.',
    );
    await shot(page, "yaml-pane-completion");
  });

  it("read-only: the text cannot change", async () => {
    await page.getByLabel("Read-only").check();
    const changes = await output("Changes").textContent();
    await line("name: demo").click();
    await page.keyboard.type("xyz");
    expect(await line("name: demo").textContent()).toBe("name: demo");
    expect(await output("Changes").textContent()).toBe(changes);
    expect(await editor().getAttribute("contenteditable")).toBe("false");
    await page.getByLabel("Read-only").uncheck();
    expect(page.errors).toEqual([]);
  });
});
