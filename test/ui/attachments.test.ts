/**
 * Document attachments (seed 000 US3) in a real browser against the real server, with a token (thumbnails are
 * fetched with the Authorization header): a run with a document and 21 images; attach 20 through the dialog,
 * the 21st refused by the UI's limit and — forced — by the server's 409; set primary (the star moves); detach;
 * upload new images from the dialog; images of another run of the project; axe; screenshots at 1280×800 and
 * 390×844.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { until } from "../helpers/engine.js";
import { describeBrowser, openPage, SHOTS, seriousViolations, shot, startServer, type TestServer } from "./harness.js";

const TOKEN = "weft_attachments_ui_test_token_0123456789";
const DOC_WF = `name: Ad campaign
steps:
  - id: brief
    name: Write the brief
    type: noop
`;

/** A small RGB PNG: a diagonal gradient from one colour to another, so each image looks different. */
function png(w: number, h: number, from: [number, number, number], to: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows: number[] = [];
  for (let y = 0; y < h; y++) {
    rows.push(0);
    for (let x = 0; x < w; x++) {
      const t = (x / w + y / h) / 2;
      for (let c = 0; c < 3; c++) rows.push(Math.round(from[c]! + (to[c]! - from[c]!) * t));
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const PALETTE: [number, number, number][] = [
  [79, 70, 229],
  [14, 165, 233],
  [16, 185, 129],
  [245, 158, 11],
  [239, 68, 68],
  [168, 85, 247],
  [236, 72, 153],
];
const imageBytes = (i: number) => png(96, 72, PALETTE[i % PALETTE.length]!, PALETTE[(i + 3) % PALETTE.length]!);
const adName = (i: number) => `ad-${String(i + 1).padStart(2, "0")}.png`;

describeBrowser("document attachments", () => {
  let server: TestServer;
  let runId: string;
  let siblingRun: string;
  let docId: string;
  const images = new Map<string, string>(); // name → id
  const pages: Page[] = [];

  async function upload(run: string, name: string, bytes: Buffer, type: string, fileType: string): Promise<string> {
    const form = new FormData();
    form.append("file", new Blob([bytes], { type }), name);
    form.append("file_type", fileType);
    const res = await fetch(`${server.url}/api/workflow-executions/${run}/artifacts`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: form,
    });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { data: { id: string } }).data.id;
  }

  async function launch(name: string): Promise<string> {
    const { data, error } = await server.api.POST("/api/workflow-executions", {
      body: { workflow: { source: DOC_WF }, name },
    });
    if (!data) throw new Error(`launch refused: ${JSON.stringify(error)}`);
    const id = data.data.id;
    const status = async () =>
      (await server.api.GET("/api/workflow-executions/{id}", { params: { path: { id } } })).data?.data.status;
    await until(async () => (await status()) === "completed", 30_000, `run ${name} to complete`);
    return id;
  }

  const attachedIds = async () =>
    (await server.api.GET("/api/artifacts/{id}/attachments", { params: { path: { id: docId } } })).data?.data ?? [];

  async function open(viewport?: { width: number; height: number }) {
    const page = await openPage(server, { token: TOKEN, path: `/runs/${runId}`, ...(viewport ? { viewport } : {}) });
    pages.push(page);
    const section = page.getByRole("region", { name: "Document attachments" });
    await section.waitFor();
    return { page, section };
  }

  /** A modal is shown over the viewport: a full-page shot would stretch it. */
  async function viewportShot(page: Page, name: string) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  }

  const count = (section: Locator) => section.getByRole("status");
  /** A tile of the dialog's grid, by image name. */
  const pick = (dialog: Locator, name: string) => dialog.locator("label.attach-pick", { hasText: name });

  beforeAll(async () => {
    server = await startServer({ tokens: [TOKEN] });
    runId = await launch("Summer campaign");
    siblingRun = await launch("Spring campaign");
    docId = await upload(runId, "campaign-brief.md", Buffer.from("# Summer sale\n"), "text/markdown", "document");
    for (let i = 0; i < 21; i++)
      images.set(adName(i), await upload(runId, adName(i), imageBytes(i), "image/png", "image"));
    images.set("spring-hero.png", await upload(siblingRun, "spring-hero.png", imageBytes(4), "image/png", "image"));
  }, 120_000);

  afterAll(async () => {
    for (const p of pages) await p.context().close();
    await server?.stop();
  });

  it("attaches 20 through the dialog; the 21st cannot be selected, and the server's 409 is shown when forced", {
    timeout: 180_000,
  }, async () => {
    const { page, section } = await open();
    await expect.poll(() => count(section).textContent()).toBe("0 / 20");
    await section.getByRole("button", { name: "Attach images" }).click();
    const dialog = page.getByRole("dialog", { name: "Attach images to campaign-brief.md" });
    await expect
      .poll(() => dialog.getByRole("tab", { name: "From this run" }).getAttribute("aria-selected"))
      .toBe("true");
    await expect.poll(() => dialog.locator("label.attach-pick").count()).toBe(21);
    // Only this run's images here: the sibling run's image is not offered.
    expect(await pick(dialog, "spring-hero.png").count()).toBe(0);

    for (let i = 0; i < 20; i++) await pick(dialog, adName(i)).click();
    const last = adName(20);
    await expect.poll(() => dialog.getByRole("checkbox", { name: new RegExp(last) }).isDisabled()).toBe(true);
    const limit = dialog.locator(".attach-limit");
    await expect.poll(() => limit.textContent()).toContain("Limit reached");
    expect(await limit.textContent()).toContain("20 / 20");
    await pick(dialog, last).click({ force: true });
    expect(await dialog.getByRole("checkbox", { name: new RegExp(last) }).isChecked()).toBe(false);
    expect(await dialog.locator(".attach-sum").textContent()).toBe("20 images selected");
    // Thumbnails are real decoded images (fetched with the token).
    await expect
      .poll(() =>
        pick(dialog, adName(0))
          .locator("img")
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBe(96);
    await viewportShot(page, "attachments-dialog");
    expect(await seriousViolations(page)).toEqual([]);

    await dialog.getByRole("button", { name: "Attach 20 images" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => count(section).textContent()).toBe("20 / 20");
    expect(await section.locator(".doc-att-item").count()).toBe(20);
    expect(await section.getByRole("button", { name: "Attach images" }).isDisabled()).toBe(true);
    expect(await section.textContent()).toContain("The limit of 20 images is reached");
    const stored = await attachedIds();
    expect(stored.map((a) => a.image?.name)).toEqual(Array.from({ length: 20 }, (_, i) => adName(i)));
    expect(stored.filter((a) => a.is_primary).map((a) => a.image?.name)).toEqual([adName(0)]);
    await expect
      .poll(() =>
        section.getByRole("button", { name: `${adName(0)} is the primary image` }).getAttribute("aria-pressed"),
      )
      .toBe("true");

    // Detach one: room for one more. Select the 21st, then another client fills the slot before the click.
    await section.getByRole("button", { name: `Detach ${adName(19)}` }).click();
    await expect.poll(() => count(section).textContent()).toBe("19 / 20");
    await section.getByRole("button", { name: "Attach images" }).click();
    await pick(dialog, last).click();
    await expect.poll(() => dialog.locator(".attach-limit").textContent()).toContain("Limit reached");
    const refill = await server.api.POST("/api/artifacts/{id}/attachments", {
      params: { path: { id: docId } },
      body: { image_ids: [images.get(adName(19))!] },
    });
    expect(refill.response.status).toBe(200);
    await dialog.getByRole("button", { name: "Attach 1 image" }).click();
    const alert = dialog.getByRole("alert");
    await expect.poll(() => alert.textContent()).toMatch(/limit of 20/);
    await expect.poll(() => dialog.locator(".attach-limit").textContent()).toContain("already has 20 images");
    await viewportShot(page, "attachments-dialog-refused");
    expect((await attachedIds()).map((a) => a.image?.name)).not.toContain(last);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => count(section).textContent()).toBe("20 / 20");
    expect(page.errors.filter((e) => !e.includes("status of 409"))).toEqual([]);
  });

  it("sets the primary image (the star moves) and detaches it (the next one becomes primary)", {
    timeout: 60_000,
  }, async () => {
    const { page, section } = await open();
    await expect.poll(() => count(section).textContent()).toBe("20 / 20");
    const five = adName(4);
    await section.getByRole("button", { name: `Set ${five} as primary` }).click();
    await expect
      .poll(() => section.getByRole("button", { name: `${five} is the primary image` }).getAttribute("aria-pressed"))
      .toBe("true");
    expect(
      await section.getByRole("button", { name: `Set ${adName(0)} as primary` }).getAttribute("aria-pressed"),
    ).toBe("false");
    expect(await section.locator(".doc-att-item.is-primary").count()).toBe(1);
    expect((await attachedIds()).filter((a) => a.is_primary).map((a) => a.image?.name)).toEqual([five]);
    await shot(page, "attachments-section");
    await page
      .locator(`.artifact[data-artifact="${docId}"]`)
      .screenshot({ path: join(SHOTS, "attachments-document.png") });
    expect(await seriousViolations(page)).toEqual([]);

    await section.getByRole("button", { name: `Detach ${five}` }).click();
    await expect.poll(() => count(section).textContent()).toBe("19 / 20");
    await expect.poll(() => section.getByRole("button", { name: `${adName(0)} is the primary image` }).count()).toBe(1);
    expect(await section.locator(`[data-image="${images.get(five)}"]`).count()).toBe(0);
    // The image artifact itself stays in the run's files.
    expect(await page.locator(`.artifact[data-artifact="${images.get(five)}"]`).count()).toBe(1);
  });

  it("uploads new images from the dialog (refusing more than fit) and attaches them", { timeout: 90_000 }, async () => {
    const { page, section } = await open();
    await expect.poll(() => count(section).textContent()).toBe("19 / 20");
    await section.getByRole("button", { name: "Attach images" }).click();
    const dialog = page.getByRole("dialog", { name: "Attach images to campaign-brief.md" });
    await dialog.getByRole("tab", { name: "Upload new" }).click();
    const input = dialog.getByLabel("Image files to upload");
    const file = (name: string, i: number) => ({ name, mimeType: "image/png", buffer: imageBytes(i) });
    await input.setInputFiles([file("new-a.png", 1), file("new-b.png", 2)]);
    await expect.poll(() => dialog.getByRole("alert").textContent()).toContain("Only 1 more image fits");
    await input.setInputFiles([file("new-a.png", 1)]);
    await expect.poll(() => pick(dialog, "new-a.png").getAttribute("class")).toContain("is-selected");
    await dialog.getByRole("button", { name: "Attach 1 image" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => count(section).textContent()).toBe("20 / 20");
    const names = (await attachedIds()).map((a) => a.image?.name);
    expect(names).toContain("new-a.png");
    expect(names).not.toContain("new-b.png");
    // Uploaded to the run as an image: it shows in the run's files.
    await expect.poll(() => page.locator(".artifact-name", { hasText: "new-a.png" }).count()).toBe(1);
  });

  it("attaches an image of another run of the project", { timeout: 90_000 }, async () => {
    const { page, section } = await open();
    await section.getByRole("button", { name: `Detach ${adName(1)}` }).click();
    await expect.poll(() => count(section).textContent()).toBe("19 / 20");
    await section.getByRole("button", { name: "Attach images" }).click();
    const dialog = page.getByRole("dialog", { name: "Attach images to campaign-brief.md" });
    await dialog.getByRole("tab", { name: "From this project" }).click();
    const hero = pick(dialog, "spring-hero.png");
    // Where it comes from: the other run's name.
    await expect.poll(() => hero.textContent()).toContain("Spring campaign");
    // Already attached images are shown as such and cannot be picked again.
    expect(await dialog.getByRole("checkbox", { name: new RegExp(adName(0)) }).isDisabled()).toBe(true);
    await hero.click();
    await dialog.getByRole("button", { name: "Attach 1 image" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => count(section).textContent()).toBe("20 / 20");
    const hero2 = (await attachedIds()).find((a) => a.image?.name === "spring-hero.png");
    expect(hero2?.image?.workflow_run_id).toBe(siblingRun);
  });

  it("looks right on a phone: the section and the dialog fit 390×844", { timeout: 60_000 }, async () => {
    // Full (whatever ran before): the rest through the API.
    const have = new Set((await attachedIds()).map((a) => a.image_id));
    const more = [...images.values()].filter((id) => !have.has(id)).slice(0, 20 - have.size);
    if (more.length > 0) {
      await server.api.POST("/api/artifacts/{id}/attachments", {
        params: { path: { id: docId } },
        body: { image_ids: more },
      });
    }
    const { page, section } = await open({ width: 390, height: 844 });
    await expect.poll(() => count(section).textContent()).toBe("20 / 20");
    const width = await page.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement
          .scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(390);
    await shot(page, "attachments-section-narrow");
    await page
      .locator(`.artifact[data-artifact="${docId}"]`)
      .screenshot({ path: join(SHOTS, "attachments-document-narrow.png") });
    expect(await seriousViolations(page)).toEqual([]);
    await section.getByRole("button", { name: `Detach ${adName(2)}` }).click();
    await expect.poll(() => count(section).textContent()).toBe("19 / 20");
    await section.getByRole("button", { name: "Attach images" }).click();
    const dialog = page.getByRole("dialog", { name: "Attach images to campaign-brief.md" });
    await pick(dialog, adName(2)).click();
    await expect.poll(() => dialog.locator(".attach-limit").textContent()).toContain("Limit reached");
    const box = await dialog.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    await viewportShot(page, "attachments-dialog-narrow");
    expect(await seriousViolations(page)).toEqual([]);
  });
});
