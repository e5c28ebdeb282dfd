import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TerminalError } from "../../src/core/errors.js";
import type { Json, JsonObject } from "../../src/core/json.js";
import { parseWorkflow } from "../../src/definition/index.js";
import { artifactId, createStepArtifacts } from "../../src/engine/step-artifacts.js";
import { writeDocument, writeImage } from "../../src/steps/artifacts.js";
import { attachStepType } from "../../src/steps/attach/index.js";
import { createStepTypeRegistry } from "../../src/steps/registry.js";
import { MAX_DOCUMENT_ATTACHMENTS } from "../../src/store/store.js";
import { testEnv, wf } from "../helpers/engine.js";
import { type ArtifactEnv, artifactEnv } from "./artifact-env.js";
import type { FakeContext } from "./helpers.js";

const signal = new AbortController().signal;
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
let a: ArtifactEnv;
beforeEach(async () => {
  a = await artifactEnv();
});
afterEach(async () => {
  await a.cleanup();
});

/** `n` documents and `m` images stored by a step `make` of the run. */
async function seed(n: number, m: number): Promise<{ docs: string[]; images: string[] }> {
  const ctx = a.context({ stepId: "make" });
  const docs: string[] = [];
  const images: string[] = [];
  for (let i = 0; i < n; i++)
    docs.push((await writeDocument(ctx, { name: `copy-${i + 1}`, text: `# Copy ${i + 1}` })).id);
  for (let i = 0; i < m; i++) {
    images.push((await writeImage(ctx, { name: `img-${i + 1}`, data: PNG, mimeType: "image/png" })).id);
  }
  return { docs, images };
}

async function runAttach(config: JsonObject, ctx: FakeContext = a.context({ stepId: "attach" })) {
  const outcome = await attachStepType.run(ctx, attachStepType.configSchema.parse(config), signal);
  if (outcome.kind !== "completed") throw new Error(`unexpected outcome ${outcome.kind}`);
  return outcome.output as { strategy: string; attachments: JsonObject[]; document_ids: string[] };
}

const attached = async (documentId: string) =>
  (await a.env.store.attachments.list(documentId)).map((x) => [x.imageId, x.primary]);

describe("ctx.artifacts", () => {
  it("derives the same id in every attempt, stores once, and returns the record to later attempts", async () => {
    const first = a.context({ stepId: "copy" });
    const doc = await writeDocument(first, { name: "launch post", text: "# Launch\n\nWe shipped." });
    expect(doc.created).toBe(true);
    expect(doc.id).toBe(artifactId(`${a.runId}:copy:0`, "launch post.md", 0));
    const record = await a.env.store.artifacts.get(doc.id);
    expect(record).toMatchObject({ name: "launch post.md", fileType: "document", mimeType: "text/markdown" });
    expect(readFileSync(join(a.env.dir, record?.storageKey ?? ""), "utf8")).toBe("# Launch\n\nWe shipped.");

    const retry = await writeDocument(a.context({ stepId: "copy", attempt: 2 }), {
      name: "launch post",
      text: "other",
    });
    expect(retry).toEqual({ id: doc.id, name: "launch post.md", created: false });
    expect(readFileSync(join(a.env.dir, record?.storageKey ?? ""), "utf8")).toBe("# Launch\n\nWe shipped.");
    expect(a.files()).toEqual([`copy/${doc.id}.md`]);
    const events = (await a.env.store.events.list(a.runId)).filter((e) => e.type === "workflow.artifact.created");
    expect(events).toHaveLength(1);
  });

  it("tells apart two artifacts of one name in one attempt, and the same name in another step run", async () => {
    const ctx = a.context({ stepId: "copy" });
    const one = await writeDocument(ctx, { name: "draft", text: "1" });
    const two = await writeDocument(ctx, { name: "draft", text: "2" });
    const elsewhere = await writeDocument(a.context({ stepId: "other" }), { name: "draft", text: "3" });
    expect(new Set([one.id, two.id, elsewhere.id]).size).toBe(3);
    expect(await a.context({ stepId: "copy" }).artifacts.find("draft.md", 1)).toMatchObject({ id: two.id });
  });

  it("leaves no orphan after a crash between the file and the record: the retry writes the same path", async () => {
    const id = artifactId(`${a.runId}:copy:0`, "notes.md", 0);
    const path = join(a.env.dir, "runs", a.runId, "artifacts", "copy", `${id}.md`);
    const first = a.context({ stepId: "copy" });
    await first.artifacts.create({ name: "probe.txt", data: "x" }); // creates the folder
    writeFileSync(path, "half of what the crashed attempt wro");
    const doc = await writeDocument(a.context({ stepId: "copy", attempt: 2 }), { name: "notes", text: "all of it" });
    expect(doc).toMatchObject({ id, created: true });
    expect(readFileSync(path, "utf8")).toBe("all of it");
    expect(a.files().filter((f) => f.includes(id))).toEqual([`copy/${id}.md`]);
    expect(a.files().some((f) => f.includes(".tmp"))).toBe(false);
  });

  it("only sees this run's artifacts", async () => {
    const other = await a.env.engine.launch(wf("name: other\nsteps:\n  - id: s\n    type: noop\n"));
    const foreign = createStepArtifacts({
      store: a.env.store,
      dataDir: a.env.dir,
      runId: other.run.id,
      projectId: other.run.projectId,
      stepKey: "s",
      idempotencyKey: `${other.run.id}:s:0`,
      now: () => 1,
    });
    const theirs = await foreign.create({ name: "theirs.md", data: "x" });
    const ctx = a.context();
    expect(await ctx.artifacts.get(theirs.id)).toBeUndefined();
    await expect(ctx.artifacts.attachments(theirs.id)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
  });
});

describe("attach step", () => {
  it("attaches many images to one document with a chosen primary, and says what it attached", async () => {
    const { docs, images } = await seed(1, 3);
    const ctx = a.context({ stepId: "attach", args: { doc: docs[0] as string, images, primary: images[1] as string } });
    const output = await runAttach(
      {
        documents: "{{ args.doc }}",
        images: "{{ args.images }}",
        strategy: "one-to-many",
        primary: "{{ args.primary }}",
      },
      ctx,
    );
    expect(output.strategy).toBe("one-to-many");
    expect(output.document_ids).toEqual(docs);
    expect(output.attachments).toEqual(
      images.map((imageId, i) => ({ document_id: docs[0], image_id: imageId, primary: i === 1, position: i + 1 })),
    );
    expect(await attached(docs[0] as string)).toEqual(images.map((id, i) => [id, i === 1]));
    expect(ctx.inputs).toEqual([{ documents: docs, images, strategy: "one-to-many", primary: images[1] }]);
  });

  it("is a no-op the second time (a retry), and keeps the primary", async () => {
    const { docs, images } = await seed(1, 2);
    const config = { documents: docs[0] as string, images, primary: "first" };
    const first = await runAttach(config);
    const again = await runAttach(config, a.context({ stepId: "attach", attempt: 2 }));
    expect(again).toEqual(first);
    expect(await attached(docs[0] as string)).toEqual([
      [images[0], true],
      [images[1], false],
    ]);
  });

  it("infers the strategy from the counts: one image to many documents, and pairs", async () => {
    const { docs, images } = await seed(3, 3);
    const shared = await runAttach({ documents: docs, images: images[0] as string });
    expect(shared.strategy).toBe("many-to-one");
    for (const d of docs) expect(await attached(d)).toEqual([[images[0], true]]);
    const pairs = await runAttach({ documents: docs, images: [...images].reverse() }, a.context({ stepId: "pairs" }));
    expect(pairs.strategy).toBe("one-to-one");
    expect(pairs.attachments.map((x) => [x.document_id, x.image_id])).toEqual(docs.map((d, i) => [d, images[2 - i]]));
  });

  it("reads ids out of step outputs and foreach joins", async () => {
    const { docs, images } = await seed(1, 4);
    const joined: Json = [
      { images: [], image_ids: images.slice(0, 2) },
      { images: [], image_ids: images.slice(2) },
    ];
    const ctx = a.context({ stepId: "attach", args: { copy: { document_id: docs[0] as string }, hero: joined } });
    const output = await runAttach({ documents: "{{ args.copy }}", images: "{{ args.hero }}" }, ctx);
    expect(output.attachments.map((x) => x.image_id)).toEqual(images);
  });

  it("refuses mismatched counts, wrong types, unknown ids and a foreign primary, attaching nothing", async () => {
    const { docs, images } = await seed(2, 3);
    const fail = async (config: JsonObject) => {
      const err = await runAttach(config).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      return (err as Error).message;
    };
    expect(await fail({ documents: docs, images, strategy: "one-to-one" })).toMatch(
      /one-to-one pairs each document with one image, but there are 2 documents and 3 images/,
    );
    expect(await fail({ documents: docs, images })).toMatch(/2 documents and 3 images, and no strategy fits/);
    expect(await fail({ documents: docs, images, strategy: "one-to-many" })).toMatch(/to one document/);
    expect(await fail({ documents: images[0] as string, images: images[1] as string })).toMatch(
      /documents: artifact .* \("img-1.png"\) is an image, not a document/,
    );
    expect(await fail({ documents: docs[0] as string, images: "nope" })).toMatch(/has no artifact with id nope/);
    expect(
      await fail({ documents: docs[0] as string, images: images[0] as string, primary: images[2] as string }),
    ).toMatch(/primary: .* is not one of the images to attach/);
    const empty = await runAttach({ documents: "{{ args.none }}", images }, a.context({ args: { none: null } })).catch(
      (e: unknown) => e,
    );
    expect((empty as Error).message).toMatch(/documents: "\{\{ args.none \}\}" gave no artifact id/);
    for (const d of docs) expect(await attached(d)).toEqual([]);
  });

  it(`refuses a document past ${MAX_DOCUMENT_ATTACHMENTS} images, naming it and the count, with nothing half-written`, async () => {
    const { docs, images } = await seed(2, 21);
    const err = await runAttach({ documents: docs[0] as string, images }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `document ${docs[0]} \\("copy-1.md"\\) would have 21 attached images \\(0 already, 21 from this step\\); a document holds at most 20`,
      ),
    );
    expect(await attached(docs[0] as string)).toEqual([]);

    // One image for two documents: the second would overflow, so neither gets it.
    await runAttach({ documents: docs[1] as string, images: images.slice(0, 20) }, a.context({ stepId: "early" }));
    const both = await runAttach({ documents: docs, images: images[20] as string }).catch((e: unknown) => e);
    expect((both as Error).message).toMatch(
      new RegExp(
        `document ${docs[1]} \\("copy-2.md"\\) would have 21 attached images \\(20 already, 1 from this step\\)`,
      ),
    );
    expect(await attached(docs[0] as string)).toEqual([]);
    expect(await attached(docs[1] as string)).toHaveLength(20);
  });

  it("validates its config with clear messages", () => {
    const problems = (config: JsonObject) => {
      const res = attachStepType.configSchema.safeParse(config);
      return res.success ? [] : res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(problems({ documents: "d", images: ["a", "b"], strategy: "one-to-many", primary: "first" })).toEqual([]);
    expect(problems({ documents: "d", images: "i", strategy: "sideways" })).toEqual([
      "strategy: must be one-to-one, one-to-many, many-to-one",
    ]);
    expect(problems({ documents: 5, images: "i" })).toEqual([
      "documents: must be an artifact id, a list of ids, or a {{ … }} template giving the documents",
    ]);
    expect(problems({ images: "i" })[0]).toMatch(/^documents: /);
  });
});

describe("image and attach steps in a workflow", () => {
  it("reports bad configs at their line and column", () => {
    const yaml = [
      "name: bad",
      "steps:",
      "  - id: hero",
      "    type: image",
      "    agent: designer",
      "    prompt: a lighthouse",
      "    count: 11",
      "    size: huge",
      "  - id: attach",
      "    type: attach",
      "    documents: abc",
      "    images: [x, y]",
      "    strategy: sideways",
      "",
    ].join("\n");
    const { issues } = parseWorkflow(yaml, { file: "bad.yaml", stepTypes: createStepTypeRegistry() });
    const errors = issues.filter((i) => i.severity === "error");
    expect(errors.map((i) => `${i.location.line}:${i.location.column} ${i.code} ${i.message}`)).toEqual([
      "7:12 WEFT_STEP_CONFIG step `hero` (image): `count`: must be a whole number from 1 to 10 (got 11); image APIs make at most 10 per request",
      '8:11 WEFT_STEP_CONFIG step `hero` (image): `size`: must be WIDTHxHEIGHT ("1024x1024"), an aspect ratio ("16:9"), 1K, 2K, 4K or auto',
      "13:15 WEFT_STEP_CONFIG step `attach` (attach): `strategy`: must be one-to-one, one-to-many, many-to-one",
    ]);
  });

  it("are described by schema/workflow.schema.json", () => {
    const schema = JSON.parse(readFileSync(new URL("../../schema/workflow.schema.json", import.meta.url), "utf8"));
    const validate = new Ajv2020({
      strict: true,
      strictRequired: false,
      allErrors: true,
      allowUnionTypes: true,
    }).compile(schema);
    const step = (extra: JsonObject): JsonObject => ({ name: "x", steps: [{ id: "s", ...extra }] });
    const image = { type: "image", agent: "a", prompt: "p", count: 3, size: "16:9", style: "flat", filename: "hero" };
    expect(validate(step(image)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(step({ ...image, count: "{{ args.n }}" }))).toBe(true);
    const attach = { type: "attach", documents: "{{ steps.c.output.document_id }}", images: ["a", "b"] };
    expect(validate(step({ ...attach, strategy: "one-to-many", primary: "first" }))).toBe(true);
    expect(validate(step({ ...image, count: 11 }))).toBe(false);
    expect(validate(step({ ...image, filename: "a/b" }))).toBe(false);
    expect(validate(step({ ...attach, strategy: "sideways" }))).toBe(false);
    expect(validate(step({ ...attach, images: [] }))).toBe(false);
  });

  it("runs agent → document → three images → attach one-to-many with a primary", async () => {
    const env = testEnv({
      functions: {
        // What the agent step's `document:` option will do: store the answer as a Markdown document.
        saveCopy: async (input, ctx) => {
          const text = (input as { text: string }).text;
          const doc = await writeDocument(ctx, { name: "launch copy", text });
          return { document_id: doc.id };
        },
      },
    });
    try {
      const workflow = wf(
        [
          "name: campaign",
          "steps:",
          "  - id: copy",
          "    agent: copywriter",
          "    prompt: Write launch copy for {{ args.product }}",
          "  - id: doc",
          "    type: function",
          "    function: saveCopy",
          "    input: { text: '{{ steps.copy.output.result }}' }",
          "    needs: copy",
          "  - id: hero",
          "    type: image",
          "    agent: illustrator",
          "    prompt: 'Hero image for {{ args.product }}'",
          "    count: 3",
          "    size: '1:1'",
          "  - id: attach",
          "    type: attach",
          "    needs: [doc, hero]",
          "    documents: '{{ steps.doc.output.document_id }}'",
          "    images: '{{ steps.hero.output.image_ids }}'",
          "    strategy: one-to-many",
          "    primary: '{{ steps.hero.output.image_ids[2] }}'",
          "",
        ].join("\n"),
      );
      const { run } = await env.engine.launch(workflow, { args: { product: "Weft" } });
      const done = await env.engine.execute(run.id);
      expect(done.status).toBe("completed");
      const steps = await env.engine.steps(run.id);
      const output = (key: string) => steps.find((s) => s.key === key)?.output as JsonObject;
      const documentId = output("doc").document_id as string;
      const imageIds = output("hero").image_ids as string[];
      expect(imageIds).toHaveLength(3);

      const list = await env.store.attachments.list(documentId);
      expect(list.map((x) => [x.imageId, x.primary, x.position])).toEqual(
        imageIds.map((id, i) => [id, i === 2, i + 1]),
      );
      expect((output("attach").attachments as Json[]).length).toBe(3);

      // doc and hero run side by side: either may store first.
      const artifacts = (await env.store.artifacts.list(run.id)).sort((x, y) => x.fileType.localeCompare(y.fileType));
      expect(artifacts.map((x) => [x.stepKey, x.fileType])).toEqual([
        ["doc", "document"],
        ["hero", "image"],
        ["hero", "image"],
        ["hero", "image"],
      ]);
      for (const x of artifacts) expect(existsSync(join(env.dir, x.storageKey))).toBe(true);
      const text = readFileSync(join(env.dir, artifacts[0]?.storageKey ?? ""), "utf8");
      expect(text).toMatch(/Weft/);
      const created = (await env.store.events.list(run.id)).filter((e) => e.type === "workflow.artifact.created");
      expect(created).toHaveLength(4);
    } finally {
      await env.cleanup();
    }
  });
});
