/**
 * Seed 000's five marketing templates, written as seed 000 stores them (test/fixtures/seed-000: nodes, edges,
 * default_params), run end to end on the offline mock provider: the copies become documents, the images image
 * artifacts, and the attach nodes attach them as their strategies say; reviews are approved as they come up.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { stepLogDir } from "../../src/engine/logs.js";
import type { TemplateRun } from "./harness.js";
import { withTemplateRun } from "./harness.js";

const dir = fileURLToPath(new URL("../fixtures/seed-000/", import.meta.url));
const file = (name: string) => join(dir, name);

async function artifacts(r: TemplateRun) {
  const all = await r.env.store.artifacts.list(r.run.id);
  const documents = all.filter((a) => a.fileType === "document");
  const images = all.filter((a) => a.fileType === "image");
  const attached = new Map<string, string[]>();
  for (const d of documents) {
    const list = await r.env.store.attachments.list(d.id);
    if (list.length > 0)
      attached.set(
        d.name,
        list.map((a) => a.imageId),
      );
  }
  return { documents, images, attached };
}

const statuses = (r: TemplateRun) => Object.fromEntries([...r.steps].map(([key, s]) => [key, s.status]));

describe("seed 000's templates run on the mock provider", () => {
  it("Facebook Ads Campaign: 10 copies, an image each, attached one to one, then the review", async () => {
    await withTemplateRun(file("facebook-ads-campaign.yaml"), {}, async (r) => {
      expect(r.run.status, JSON.stringify(r.run.error)).toBe("completed");
      expect(r.decided).toEqual(["brand-check"]);
      const { documents, images, attached } = await artifacts(r);
      expect(documents.map((d) => d.name).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `copies-${i + 1}.md`).sort(),
      );
      expect(images).toHaveLength(10);
      expect(attached.size).toBe(10);
      for (const ids of attached.values()) expect(ids).toHaveLength(1);
      // each image on exactly one copy
      expect(new Set([...attached.values()].flat()).size).toBe(10);
    });
  });

  it("…and launched with a smaller quantity, makes that many", async () => {
    await withTemplateRun(file("facebook-ads-campaign.yaml"), { args: { copy_quantity: 3 } }, async (r) => {
      expect(r.run.status).toBe("completed");
      const { documents, images, attached } = await artifacts(r);
      expect([documents.length, images.length, attached.size]).toEqual([3, 3, 3]);
    });
  });

  it("Instagram Carousel: one caption with all ten slides attached", async () => {
    await withTemplateRun(file("instagram-carousel.yaml"), {}, async (r) => {
      expect(r.run.status, JSON.stringify(r.run.error)).toBe("completed");
      const { documents, images, attached } = await artifacts(r);
      expect(documents.map((d) => d.name)).toEqual(["caption.md"]);
      expect(images).toHaveLength(10);
      expect(attached.get("caption.md")).toEqual(images.map((i) => i.id));
    });
  });

  it("Blog Post with Social: the featured image on the post, five snippets written from the post", async () => {
    await withTemplateRun(file("blog-post-with-social.yaml"), {}, async (r) => {
      expect(r.run.status, JSON.stringify(r.run.error)).toBe("completed");
      const { documents, images, attached } = await artifacts(r);
      expect(documents.map((d) => d.name).sort()).toEqual(
        ["blog.md", ...Array.from({ length: 5 }, (_, i) => `snippets-${i + 1}.md`)].sort(),
      );
      expect(images).toHaveLength(1);
      expect([...attached]).toEqual([["blog.md", [images[0]?.id]]]);
      // Each snippet's prompt carried the post, and said which of the five it is.
      const post = (r.steps.get("blog")?.output as { result?: string } | undefined)?.result ?? "(no post)";
      for (const i of [0, 4]) {
        const input = JSON.parse(
          readFileSync(join(stepLogDir(r.env.dir, r.run.id, `snippets[${i}]`), "input.json"), "utf8"),
        );
        expect(input.prompt).toContain(post);
        expect(input.system).toBe(
          `You write copy ${i + 1} of 5 for one brief: make it clearly different from the others.`,
        );
      }
    });
  });

  it("Email Campaign: five subject lines, the body with its header, approved", async () => {
    await withTemplateRun(file("email-campaign.yaml"), {}, async (r) => {
      expect(r.run.status, JSON.stringify(r.run.error)).toBe("completed");
      expect(r.decided).toEqual(["approve-send"]);
      const { documents, attached } = await artifacts(r);
      expect(documents.filter((d) => d.name.startsWith("subjects-"))).toHaveLength(5);
      expect([...attached.keys()]).toEqual(["body.md"]);
    });
  });

  it("Landing Page Hero: with the image, and without it (the branch skipped, the merge still runs)", async () => {
    await withTemplateRun(file("landing-page-hero.yaml"), {}, async (r) => {
      expect(r.run.status, JSON.stringify(r.run.error)).toBe("completed");
      expect(statuses(r)).toMatchObject({ hero: "completed", join: "completed", "sign-off": "completed" });
      expect((await artifacts(r)).images).toHaveLength(1);
    });
    await withTemplateRun(file("landing-page-hero.yaml"), { args: { with_image: false } }, async (r) => {
      expect(r.run.status, JSON.stringify(r.run.error)).toBe("completed");
      expect(statuses(r)).toMatchObject({
        headlines: "completed",
        cta: "completed",
        hero: "skipped",
        join: "completed",
        "sign-off": "completed",
      });
      expect((await artifacts(r)).images).toHaveLength(0);
    });
  });
});
