/**
 * The `weft-document` args convention, end to end over real HTTP: documents uploaded to one run are given to a
 * later run by id, their text reaches the agent (the mock provider's recorded request), wrong ids are a 422 on
 * their field, and another project's document is never read — at launch nor at step time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { installTemplates, templateId } from "../../src/templates/library.js";
import { httpClient, type Json, QUICK, type ServerEnv, serverEnv } from "./helpers.js";

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

const WITH_DOCS = `name: with-docs
argsSchema:
  type: object
  properties:
    context_documents:
      type: array
      items: { type: string, format: weft-document }
      default: []
steps:
  - id: write
    agent: writer
    prompt: Write the post.
    documents: "{{ args.context_documents }}"
`;

/** Takes any id, without the convention: only the step-time check stands between it and the file. */
const RAW_ID = `name: raw-id
argsSchema:
  type: object
  properties:
    doc: { type: string }
steps:
  - id: write
    agent: writer
    prompt: Write the post.
    documents: "{{ args.doc }}"
`;

const BRIEF = "# Brief\n\nThe secret ingredient is saffron. Mention the harvest in October.\n";
const STYLE = "Style: short sentences. Never use the word 'delve'.\n";

describe("context documents (weft-document args)", () => {
  let s: ServerEnv;
  let base: string;
  const ids: Record<string, string> = {};

  let call: ReturnType<typeof httpClient>["call"];
  let ok: ReturnType<typeof httpClient>["ok"];
  let waitFor: ReturnType<typeof httpClient>["waitFor"];
  const upload = async (runId: string, name: string, type: string, content: string | Uint8Array) => {
    const fd = new FormData();
    fd.append("file", new Blob([content], { type }), name);
    const res = await fetch(`${base}/api/workflow-executions/${runId}/artifacts`, { method: "POST", body: fd });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as Json).data.id as string;
  };
  const stepOf = (run: Json, key: string) => run.steps.find((x: Json) => x.key === key);
  /** The prompt the mock provider received for a step (its recorded request, from the step's session). */
  const promptOf = async (runId: string, key: string) => {
    const step = await ok("GET", `/api/workflow-steps/${encodeURIComponent(`${runId}:${key}`)}`);
    const requests = step.session.exchanges.flatMap((x: Json) => x.entries).filter((e: Json) => e.type === "request");
    expect(requests.length).toBeGreaterThan(0);
    return requests[0].prompt as string;
  };

  beforeAll(async () => {
    s = await serverEnv();
    base = await s.listen();
    ({ call, ok, waitFor } = httpClient(base));
    const source = (await ok("POST", "/api/workflow-executions", { workflow: { source: QUICK }, project_id: "p1" })).id;
    const foreign = (await ok("POST", "/api/workflow-executions", { workflow: { source: QUICK }, project_id: "p2" }))
      .id;
    ids.brief = await upload(source, "brief.md", "text/markdown", BRIEF);
    ids.style = await upload(source, "style.txt", "text/plain", STYLE);
    ids.image = await upload(source, "logo.png", "image/png", new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    ids.pdf = await upload(source, "report.pdf", "application/pdf", "%PDF-1.4 not text");
    ids.foreign = await upload(foreign, "p2-secret.md", "text/markdown", "p2 only: the launch code is 1234");
  });
  afterAll(async () => {
    await s?.close();
  });

  it("gives the documents' text to the agent, after the prompt, each under its name", async () => {
    const run = await ok("POST", "/api/workflow-executions", {
      workflow: { source: WITH_DOCS },
      project_id: "p1",
      args: { context_documents: [ids.brief, ids.style] },
    });
    await waitFor(run.id, (r) => r.status === "completed", "completed");
    const prompt = await promptOf(run.id, "write");
    expect(prompt).toBe(
      `Write the post.\n\nContext documents:\n\n<document name="brief.md">\n${BRIEF}\n</document>\n\n<document name="style.txt">\n${STYLE}\n</document>`,
    );
    // The step's input log names the documents it was given.
    const input = JSON.parse(
      (await ok("GET", `/api/workflow-steps/${encodeURIComponent(`${run.id}:write`)}/logs/input`)).content,
    );
    expect(input.documents).toEqual([
      { id: ids.brief, name: "brief.md" },
      { id: ids.style, name: "style.txt" },
    ]);
    // Without documents (the default []), the prompt is the prompt alone.
    const plain = await ok("POST", "/api/workflow-executions", { workflow: { source: WITH_DOCS }, project_id: "p1" });
    await waitFor(plain.id, (r) => r.status === "completed", "completed");
    expect(await promptOf(plain.id, "write")).toBe("Write the post.");
  });

  it("refuses an unknown id, another project's document, an image or a PDF with 422 on its field, creating nothing", async () => {
    const before = (await s.env.store.runs.list()).length;
    for (const [id, message] of [
      ["no-such-artifact", "no document artifact has id no-such-artifact in project p1"],
      [ids.foreign, `no document artifact has id ${ids.foreign} in project p1`],
      [ids.image, "is an image, not a document"],
      [ids.pdf, "is application/pdf; only text documents"],
    ] as const) {
      const r = await call("POST", "/api/workflow-executions", {
        workflow: { source: WITH_DOCS },
        project_id: "p1",
        args: { context_documents: [ids.brief, id] },
      });
      expect(r.status, id).toBe(422);
      expect(r.json.error.code).toBe("WEFT_ARGS");
      expect(r.json.error.issues).toHaveLength(1);
      expect(r.json.error.issues[0].field).toBe("context_documents[1]");
      expect(r.json.error.issues[0].message).toContain(message);
      expect(JSON.stringify(r.json)).not.toContain("launch code");
    }
    // Not a list of strings: the args schema's own 422.
    const wrong = await call("POST", "/api/workflow-executions", {
      workflow: { source: WITH_DOCS },
      project_id: "p1",
      args: { context_documents: "one id" },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.json.error.issues[0].field).toBe("context_documents");
    expect((await s.env.store.runs.list()).length).toBe(before);
  });

  it("a step never reads another project's document, even when the launch did not check it", async () => {
    const run = await ok("POST", "/api/workflow-executions", {
      workflow: { source: RAW_ID },
      project_id: "p1",
      args: { doc: ids.foreign },
    });
    const failed = await waitFor(run.id, (r) => r.status === "failed", "failed");
    expect(stepOf(failed, "write").error.message).toContain(`no document artifact has id ${ids.foreign} in project p1`);
    const step = await ok("GET", `/api/workflow-steps/${encodeURIComponent(`${run.id}:write`)}`);
    expect(JSON.stringify(step)).not.toContain("launch code");
    // The same id from its own project is read.
    const own = await ok("POST", "/api/workflow-executions", {
      workflow: { source: RAW_ID },
      project_id: "p2",
      args: { doc: ids.foreign },
    });
    await waitFor(own.id, (r) => r.status === "completed", "completed");
    expect(await promptOf(own.id, "write")).toContain("the launch code is 1234");
  });

  it("the Blog Post with Social template takes context_documents: the outline and the post both read them", async () => {
    expect((await installTemplates(s.env.store, { stepTypes })).problems).toEqual([]);
    const def = await ok("GET", `/api/workflow-definitions/${templateId("blog-post-with-social")}`);
    expect(def.args_schema.properties.context_documents).toMatchObject({
      type: "array",
      items: { type: "string", format: "weft-document" },
    });
    const run = await ok("POST", "/api/workflow-executions", {
      workflow_definition_id: def.id,
      project_id: "p1",
      args: { context_documents: [ids.brief], include_social: false },
    });
    await waitFor(run.id, (r) => stepOf(r, "write-post")?.status === "completed", "the post is written");
    for (const key of ["outline", "write-post"]) {
      const prompt = await promptOf(run.id, key);
      expect(prompt, key).toContain(`<document name="brief.md">\n${BRIEF}\n</document>`);
    }
    await ok("POST", `/api/workflow-executions/${run.id}/cancel`, {});
  });
});
