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
/** Each template and its gallery category (seed 000's categories). */
const CATEGORY = {
  "facebook-ads-campaign": "paid-ads",
  "instagram-carousel": "social-media",
  "blog-post-with-social": "blog-content",
  "email-campaign": "email",
  "landing-page-hero": "landing-pages",
} as const;
const SLUGS = Object.keys(CATEGORY) as Array<keyof typeof CATEGORY>;

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
    expect(workflow.category).toBe(CATEGORY[slug]);
    expect(workflow.version).toBe("1.0");
    expect(workflow.tags).toContain("seed-000");
    expect(workflow.description).toBeTruthy();
  });

  it("runs to the end with no args, no fixtures and its approval approved", async () => {
    await withTemplateRun(file(slug), {}, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(r.decided).toHaveLength(1);
      expect([...r.steps.values()].filter((s) => s.status === "failed")).toEqual([]);
    });
  });
});

describe("Facebook Ads Campaign", () => {
  const fb = file("facebook-ads-campaign");

  it("writes 10 ad documents and 5 images, each image on two ads, and hands the launch off once approved", async () => {
    const fixtures = {
      responses: [
        { agent: "brand-reviewer", json: { verdict: "approve", summary: "All ten can run.", revisions: [] } },
      ],
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

describe("Instagram Carousel", () => {
  const ig = file("instagram-carousel");

  it("writes one copy document with the 10 slides attached in order, the cover primary", async () => {
    await withTemplateRun(ig, {}, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(r.decided).toEqual(["approve-post"]);
      const { documents, images, byName } = await made(r);
      expect(documents).toHaveLength(1);
      expect(images).toHaveLength(10);
      const { attached } = byName("instagram-carousel-copy.md");
      expect(attached.map((a) => a.imageId)).toEqual(images.map((i) => i.id));
      expect(attached.filter((a) => a.primary).map((a) => a.imageId)).toEqual([images[0]?.id]);
      expect(statusOf(r, "schedule-post")).toBe("completed");
      expect(r.steps.get("schedule-post")?.output).toMatchObject({ slides: images.map((i) => i.id) });
      expect(statusOf(r, "record-feedback")).toBe("skipped");
    });
  });

  it("records the feedback instead of scheduling when the approval is rejected", async () => {
    await withTemplateRun(ig, { decide: () => "reject" }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "approve-post")).toBe("failed");
      expect(statusOf(r, "schedule-post")).toBe("skipped");
      expect(statusOf(r, "record-feedback")).toBe("completed");
      const { documents, byName } = await made(r);
      expect(documents).toHaveLength(2);
      expect(byName("carousel-feedback.md").attached).toEqual([]);
    });
  });
});

describe("Blog Post with Social", () => {
  const blog = file("blog-post-with-social");

  it("writes the post with its featured image attached and five social snippets", async () => {
    await withTemplateRun(blog, {}, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(r.decided).toEqual(["approve-publish"]);
      const { documents, images, byName } = await made(r);
      expect(documents.map((d) => d.name)).toEqual(["blog-post.md"]);
      expect(images).toHaveLength(1);
      expect(byName("blog-post.md").attached).toMatchObject([{ imageId: images[0]?.id, primary: true }]);
      const snippets = (r.steps.get("social-snippets")?.output as { snippets?: unknown[] } | undefined)?.snippets;
      expect(snippets).toHaveLength(5);
      expect(r.steps.get("publish-manifest")?.output).toMatchObject({
        social: snippets,
        featured_image: images[0]?.id,
      });
    });
  });

  it("skips the social snippets when include_social is false", async () => {
    await withTemplateRun(blog, { args: { include_social: false } }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "social-snippets")).toBe("skipped");
      expect(statusOf(r, "editorial-review")).toBe("completed");
      expect(statusOf(r, "publish-manifest")).toBe("completed");
      expect(r.steps.get("publish-manifest")?.output).toMatchObject({ social: null });
    });
  });

  it("records the feedback instead of publishing when the approval is rejected", async () => {
    await withTemplateRun(blog, { decide: () => "reject" }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "publish-manifest")).toBe("skipped");
      expect(statusOf(r, "record-feedback")).toBe("completed");
      const { byName } = await made(r);
      expect(byName("blog-post-feedback.md").doc).toBeTruthy();
    });
  });
});

describe("Email Campaign", () => {
  const email = file("email-campaign");
  const compliance = (compliant: boolean) => ({
    responses: [
      {
        agent: "brand-reviewer",
        json: {
          compliant,
          spam_risk: "low",
          summary: compliant ? "Ready to send." : "The footer has no postal address.",
          issues: compliant ? [] : [{ problem: "no postal address", fix: "add {{postal_address}} to the footer" }],
        },
      },
    ],
  });

  it("writes 5 subject lines and the body with the header image attached, and schedules it once approved", async () => {
    await withTemplateRun(email, { fixtures: compliance(true) }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(r.decided).toEqual(["approve-send"]);
      const lines = r.steps.get("subject-lines")?.output as { variations: unknown[]; recommended: number };
      expect(lines.variations).toHaveLength(5);
      const { documents, images, byName } = await made(r);
      expect(documents.map((d) => d.name)).toEqual(["email-body.md"]);
      expect(images).toHaveLength(1);
      const body = byName("email-body.md");
      expect(body.attached).toMatchObject([{ imageId: images[0]?.id, primary: true }]);
      expect(statusOf(r, "fix-body")).toBe("skipped");
      expect(r.steps.get("schedule-send")?.output).toMatchObject({
        body: body.doc.id,
        subject: lines.variations[lines.recommended - 1],
        header_image: images[0]?.id,
      });
    });
  });

  it("rewrites the body when the compliance check fails, and sends the rewrite", async () => {
    await withTemplateRun(email, { fixtures: compliance(false) }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "fix-body")).toBe("completed");
      const { documents, images, byName } = await made(r);
      expect(documents).toHaveLength(2);
      const revised = byName("email-body-revised.md");
      expect(revised.attached).toMatchObject([{ imageId: images[0]?.id, primary: true }]);
      expect(r.steps.get("schedule-send")?.output).toMatchObject({ body: revised.doc.id });
    });
  });

  it("records the feedback instead of sending when the approval is rejected", async () => {
    await withTemplateRun(email, { fixtures: compliance(true), decide: () => "reject" }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "schedule-send")).toBe("skipped");
      expect(statusOf(r, "record-feedback")).toBe("completed");
      const { byName } = await made(r);
      expect(byName("email-feedback.md").doc).toBeTruthy();
    });
  });
});

describe("Landing Page Hero", () => {
  const hero = file("landing-page-hero");

  it("writes headline variations, CTA copy and the hero spec with the hero image attached", async () => {
    await withTemplateRun(hero, {}, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(r.decided).toEqual(["approve-hero"]);
      const headlines = r.steps.get("headlines")?.output as { variations: unknown[]; control: number };
      expect(headlines.variations).toHaveLength(5);
      expect(r.steps.get("cta-copy")?.output).toHaveProperty("primary_button");
      const { documents, images, byName } = await made(r);
      expect(documents.map((d) => d.name)).toEqual(["landing-page-hero.md"]);
      expect(images).toHaveLength(1);
      expect(byName("landing-page-hero.md").attached).toMatchObject([{ imageId: images[0]?.id, primary: true }]);
      expect(r.steps.get("publish-manifest")?.output).toMatchObject({
        control: headlines.variations[headlines.control - 1],
        hero_image: images[0]?.id,
      });
    });
  });

  it("records the feedback instead of publishing when the approval is rejected", async () => {
    await withTemplateRun(hero, { decide: () => "reject" }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "publish-manifest")).toBe("skipped");
      expect(statusOf(r, "record-feedback")).toBe("completed");
      const { byName } = await made(r);
      expect(byName("landing-page-hero-feedback.md").doc).toBeTruthy();
    });
  });
});
