/**
 * The UI's shell, in a real browser: served by `weft serve`, its security headers, the header of every page,
 * client-side routes, and an unknown API route staying a JSON 404.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBrowser, openPage, seriousViolations, shot, startServer, type TestServer } from "./harness.js";

describeBrowser("the UI shell", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("GET / serves the app with a strict Content-Security-Policy", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it("client routes fall back to the app; /api/* never does", async () => {
    const page = await fetch(`${server.url}/runs/whatever`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const api = await fetch(`${server.url}/api/nothing-here`, { headers: { accept: "text/html" } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: "WEFT_NOT_FOUND" } });
  });

  it("shows the header with the version and a live connection", async () => {
    const page = await openPage(server);
    await page.getByRole("link", { name: "weft home" }).waitFor();
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await expect(page.getByText("v0.1.0").isVisible()).resolves.toBe(true);
    await shot(page, "shell");
    expect(await seriousViolations(page)).toEqual([]);
    expect(page.errors).toEqual([]);
  });
});
