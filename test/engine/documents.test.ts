/**
 * Seed 000's content flow through the engine with the mock provider: agent steps keep their answers as
 * document artifacts (`document:`), an image step makes image artifacts, `attach` links them (one→many, a
 * primary). (Re-running a step reuses its artifacts: test/steps/attach.test.ts.)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defineWorkflow } from "../../src/definition/typescript/define.js";
import { type TestEnv, testEnv, wf } from "../helpers/engine.js";

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

describe("documents, images and attachments from steps", () => {
  it("agent → document, image × 3, attach one→many with a primary", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`name: blog
steps:
  - id: post
    type: agent
    agent: writer
    prompt: Write a post about durable workflows
    document: "post-{{ run.id }}.md"
  - id: art
    type: image
    agent: illustrator
    prompt: A loom weaving threads
    count: 3
  - id: link
    type: attach
    needs: [post, art]
    documents: "{{ steps.post.output.document_id }}"
    images: "{{ steps.art.output.image_ids }}"
    primary: first
`),
    );
    const done = await env.engine.execute(run.id);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    const post = await env.store.steps.get(run.id, "post");
    const docId = String((post?.output as { document_id?: string } | undefined)?.document_id);
    const doc = await env.store.artifacts.get(docId);
    expect(doc).toMatchObject({ fileType: "document", mimeType: "text/markdown", stepKey: "post" });
    expect(doc?.name).toBe(`post-${run.id}.md`);
    expect(existsSync(join(env.dir, doc?.storageKey ?? "missing"))).toBe(true);
    const images = (await env.store.artifacts.list(run.id)).filter((a) => a.fileType === "image");
    expect(images).toHaveLength(3);
    const attached = await env.store.attachments.list(docId);
    expect(attached.map((a) => a.imageId)).toEqual(images.map((i) => i.id));
    expect(attached.filter((a) => a.primary).map((a) => a.imageId)).toEqual([images[0]?.id]);
  });

  it("the same from a TypeScript workflow (typed image and attach steps)", async () => {
    env = testEnv();
    const def = defineWorkflow({
      name: "ts-blog",
      async execute(ctx) {
        const post = await ctx.step("post", { agent: "writer", prompt: "a post", document: "post.md" });
        const art = await ctx.step("art", { type: "image", agent: "illustrator", prompt: "a loom", count: 2 });
        const ids: string[] = art.data?.image_ids ?? [];
        await ctx.step("link", {
          type: "attach",
          documents: String((post.data as { document_id?: string } | undefined)?.document_id),
          images: ids,
          primary: "first",
        });
        return { images: ids.length };
      },
    });
    const { run } = await env.engine.launch(def);
    const done = await env.engine.execute(run.id);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.output).toEqual({ images: 2 });
  });
});
