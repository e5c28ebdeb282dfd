/**
 * The browser tests' harness: a real `weft serve` (the built package, a child process on a fresh data dir and
 * a free port), Debian's Chromium driven by playwright-core, the typed API client, axe-core, screenshots.
 *
 *   const server = await startServer();            // or { tokens: ["…"] }, { port } to restart on the same one
 *   const page = await openPage(server);           // a new tab (its own context) at server.url
 *   await shot(page, "board");                     // test-output/ui/board.png (git-ignored)
 *   expect(await seriousViolations(page)).toEqual([]);
 *
 * Chromium is /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it). Without it the browser
 * tests are skipped locally (`describeBrowser`), and fail under CI=1, where it must be there.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, describe } from "vitest";
import { createWeftClient, type WeftClient } from "../../src/client/index.js";
import { cleanupDirs, killAll, type LiveWeft, repoRoot, startWeft, tempDir } from "../cli/helpers.js";

export const CHROMIUM = process.env.WEFT_CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** `describe` for browser tests: skipped (visibly) without Chromium, except under CI, where it must exist. */
export const describeBrowser: typeof describe = (
  hasChromium || process.env.CI ? describe : describe.skip
) as typeof describe;

/** Where screenshots go: test-output/ui/ (git-ignored), for a reviewer to look at. */
export const SHOTS = join(repoRoot, "test-output", "ui");

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  process: LiveWeft;
  /** The typed API client, with the admin token when the server has tokens. */
  api: WeftClient;
  token?: string;
  /** SIGKILL, like a crash. */
  kill(): void;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** WEFT_API_TOKENS (admin tokens); the first one is the harness's `api` token. */
  tokens?: string[];
  /** The data dir (another server's, to restart over it). Default: a fresh one. */
  dataDir?: string;
  /** Default 0 (any free port). */
  port?: number;
  env?: Record<string, string | undefined>;
  args?: string[];
}

export async function startServer(opts: ServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? join(tempDir("weft-ui-"), "data");
  const p = startWeft(["--data-dir", dataDir, "serve", "--port", String(opts.port ?? 0), ...(opts.args ?? [])], {
    env: { ...(opts.tokens ? { WEFT_API_TOKENS: opts.tokens.join(",") } : {}), ...opts.env },
    timeoutMs: 600_000,
  });
  const line = await p.waitForLine(/listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
  const token = opts.tokens?.[0];
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    process: p,
    api: createWeftClient({ baseUrl: url, ...(token ? { token } : {}) }),
    ...(token ? { token } : {}),
    kill: () => p.kill("SIGKILL"),
    async stop() {
      if (!p.running()) return;
      p.kill("SIGTERM");
      await p.done(30_000);
    },
  };
}

let browser: Browser | undefined;

/** One Chromium per test file, closed after it. */
export async function getBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return browser;
}

// After the file's last test: the browser, then every server still running, then the temp dirs. (Servers live
// across tests — a page and its server are set up once per `describe` — so nothing is killed after each test.)
afterAll(async () => {
  await browser?.close();
  browser = undefined;
  killAll();
  cleanupDirs();
});

export interface PageOptions {
  /** Signed in with this token (sessionStorage, as the sign-in page does). */
  token?: string;
  /** Default 1280×800; narrow: 390×844. */
  viewport?: { width: number; height: number };
  /** Path to open. Default "/". */
  path?: string;
}

/**
 * A new tab in a fresh browser context at the server. Page errors and failed console messages are collected
 * (`errors`): a test can assert the page threw nothing.
 */
export async function openPage(
  server: Pick<TestServer, "url">,
  opts: PageOptions = {},
): Promise<Page & { errors: string[]; context: () => BrowserContext }> {
  const b = await getBrowser();
  const context = await b.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  if (opts.token) {
    // Runs in the page, where sessionStorage exists (this file is type-checked without the DOM library).
    await context.addInitScript((t) => {
      (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
        "weft.token",
        t,
      );
    }, opts.token);
  }
  const page = (await context.newPage()) as Page & { errors: string[] };
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push(m.text());
  });
  page.setDefaultTimeout(20_000);
  await page.goto(`${server.url}${opts.path ?? "/"}`);
  return page as Page & { errors: string[]; context: () => BrowserContext };
}

/** Saves a full-page screenshot as test-output/ui/<name>.png. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** axe-core's serious and critical violations on the page as it is now (rule id: where). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
}
