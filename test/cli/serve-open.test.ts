/**
 * `weft serve --open` (the built CLI): the browser named by `$BROWSER` (here a script that records its
 * arguments) is started at the server's URL; when no browser can be started the server says so in one line
 * and keeps serving. Also the line it prints: the URL, and that the web UI is there.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { browserCommand, browserUrl } from "../../src/cli/open-browser.js";
import { cleanUpAfterTests, startWeft, tempDir } from "./helpers.js";

cleanUpAfterTests();

async function serveOpen(env: Record<string, string | undefined>) {
  const dir = tempDir();
  const p = startWeft(["--data-dir", join(dir, "data"), "serve", "--port", "0", "--open"], { env });
  const line = await p.waitForLine(/listening on http:\/\//, 60_000);
  const url = /(http:\/\/\S+)/.exec(line)?.[1] as string;
  return { p, url, line, dir };
}

describe("weft serve --open", () => {
  it("starts $BROWSER with the URL, and prints that the web UI and the API are there", async () => {
    const dir = tempDir();
    const record = join(dir, "opened.txt");
    const browser = join(dir, "browser.sh");
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`);
    chmodSync(browser, 0o755);
    const { p, url, line } = await serveOpen({ BROWSER: browser });
    expect(line).toMatch(/^weft serve: listening on http:\/\/127\.0\.0\.1:\d+ — web UI and API$/);
    await expect.poll(() => existsSync(record) && readFileSync(record, "utf8"), { timeout: 15_000 }).toBe(`${url}\n`);
    const ui = await fetch(`${url}/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-type")).toMatch(/text\/html/);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it.each([
    ["weft-no-such-browser-here", "weft-no-such-browser-here not found"],
    ["false", "false exited with code 1"],
  ])("BROWSER=%s: one hint line (%s), and the server keeps serving", async (browser, why) => {
    const { p, url } = await serveOpen({ BROWSER: browser });
    await expect
      .poll(() => p.stderrLines.find((l) => l.includes("could not open a browser")), { timeout: 15_000 })
      .toBe(`weft serve: could not open a browser (${why}); open ${url} yourself`);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    expect(p.running()).toBe(true);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });
});

describe("browserCommand", () => {
  const url = "http://127.0.0.1:4280";
  it.each([
    [{ BROWSER: "firefox" }, "linux", "firefox", [url]],
    [{ BROWSER: "firefox --new-tab %s" }, "linux", "firefox", ["--new-tab", url]],
    [{ BROWSER: ":chromium:firefox" }, "linux", "chromium", [url]],
    [{}, "linux", "xdg-open", [url]],
    [{ BROWSER: "" }, "freebsd", "xdg-open", [url]],
    [{}, "darwin", "open", [url]],
    [{}, "win32", "cmd", ["/c", "start", '""', url]],
  ] as const)("%j on %s → %s %j", (env, platform, command, args) => {
    expect(browserCommand(url, env, platform)).toEqual({ command, args: [...args] });
  });

  it("opens a wildcard bind on loopback", () => {
    expect(browserUrl("http://0.0.0.0:4280")).toBe("http://127.0.0.1:4280");
    expect(browserUrl("http://[::]:4280")).toBe("http://[::1]:4280");
    expect(browserUrl("http://127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
  });
});
