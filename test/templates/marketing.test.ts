/**
 * The marketing templates (seed 000's five pre-built templates): each validates without a warning, runs to the
 * end with the offline mock and its approval approved, and makes the documents, images and attachments it
 * promises; each other path (a rejected approval, a brand review that asks for changes, a condition on the
 * args) is taken when forced.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { AttachmentRecord } from "../../src/store/store.js";
import { loadTemplate, type TemplateRun, withTemplateRun } from "./harness.js";

const dir = fileURLToPath(new URL("../../templates/marketing/", import.meta.url));
const file = (slug: string) => `${dir}${slug}.yaml`;
const SLUGS = [
  "facebook-ads-campaign",
  "instagram-carousel",
  "blog-post-with-social",
  "email-campaign",
  "landing-page-hero",
] as const;

/** The run's documents and images (oldest first) and each document's attachments. */
async function made({ env, run }: TemplateRun) {
  const artifacts = await env.store.artifacts.list(run.id);
  const documents = artifacts.filter((a) => a.fileType === "document");
  const images = artifacts.filter((a) => a.fileType === "image");
  const attachments = new Map<string, AttachmentRecord[]>();
  for (const d of documents) attachments.set(d.id, await env.store.attachments.list(d.id));
  const byName = (name: string) => {
    const doc = documents.find((d) => d.name === name);
    if (!doc) throw new Error(`no document ${name}; have ${documents.map((d) => d.name).join(", ")}`);
    return { doc, attached: attachments.get(doc.id) ?? [] };
  };
  return { documents, images, attachments, byName };
}

const statusOf = (r: TemplateRun, key: string) => r.steps.get(key)?.status;

describe.each(SLUGS)("templates/marketing/%s.yaml", (slug) => {
  it("validates with no errors and no warnings, with the gallery metadata", async () => {
    const { workflow, issues } = await loadTemplate(file(slug));
    expect(issues).toEqual([]);
    expect(workflow.category).toBe("marketing");
    expect(workflow.version).toBe("1.0");
    expect(workflow.tags).toContain("seed-000");
    expect(workflow.description).toBeTruthy();
  });
});

describe("Facebook Ads Campaign", () => {
  const fb = file("facebook-ads-campaign");

  it("writes 10 ad documents and 5 images, each image on two ads, and hands the launch off once approved", async () => {
    const fixtures = {
      responses: [{ agent: "brand-reviewer", json: { verdict: "approve", summary: "All ten can run.", revisions: [] } }],
    };
    await withTemplateRun(fb, { fixtures }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(r.decided).toEqual(["approve-launch"]);
      const { documents, images, byName } = await made(r);
      expect(documents).toHaveLength(10);
      expect(images).toHaveLength(5);
      for (let n = 1; n <= 5; n++) {
        const a = byName(`facebook-ad-${n}.md`).attached;
        const b = byName(`facebook-ad-${n + 5}.md`).attached;
        expect(a).toHaveLength(1);
        expect(a[0]?.primary).toBe(true);
        expect(b.map((x) => x.imageId)).toEqual(a.map((x) => x.imageId));
        expect(a[0]?.imageId).toBe(images[n - 1]?.id);
      }
      expect(statusOf(r, "revise-ads")).toBe("skipped");
      expect(statusOf(r, "attach-revised")).toBe("skipped");
      expect(statusOf(r, "launch-manifest")).toBe("completed");
      expect(statusOf(r, "record-feedback")).toBe("skipped");
    });
  });

  it("rewrites the ads the brand review flags, keeping each one's image", async () => {
    const fixtures = {
      responses: [
        {
          agent: "brand-reviewer",
          json: {
            verdict: "revise",
            summary: "Two ads overclaim.",
            revisions: [
              { ad: 3, problem: "implies a health outcome", fix: "talk about darkness, not sleep quality" },
              { ad: 8, problem: "fake urgency", fix: "drop 'today only'" },
            ],
          },
        },
      ],
    };
    await withTemplateRun(fb, { fixtures }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "revise-ads")).toBe("completed");
      const { documents, images, byName } = await made(r);
      expect(documents).toHaveLength(12);
      expect(images).toHaveLength(5);
      // Ads 3 and 8 share image 3, and so do their rewrites.
      for (const name of ["facebook-ad-3-revised.md", "facebook-ad-8-revised.md"]) {
        expect(byName(name).attached.map((a) => a.imageId)).toEqual([images[2]?.id]);
      }
      expect(statusOf(r, "launch-manifest")).toBe("completed");
    });
  });

  it("records the feedback instead of launching when the approval is rejected", async () => {
    await withTemplateRun(fb, { decide: () => "reject" }, async (r) => {
      expect(statusOf(r, "approve-launch")).toBe("failed");
      expect(statusOf(r, "launch-manifest")).toBe("skipped");
      expect(statusOf(r, "record-feedback")).toBe("completed");
      expect(r.run.status).toBe("completed");
      const { byName } = await made(r);
      expect(byName("launch-feedback.md").doc).toBeTruthy();
    });
  });
});
