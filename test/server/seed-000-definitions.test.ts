/**
 * Seed 000 files and `ui:` positions through the definitions API: validated with line:column, stored, shown as
 * steps and edges; moving nodes (an update that only changes positions) keeps the workflow hash.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { body, expectError, type Json, type ServerEnv, serverEnv } from "./helpers.js";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

const SEED000 = `name: Carousel
category: social-media
default_params: { topic: sleep }
nodes:
  - id: caption
    node_type: generate_copy
    config: { prompt_template: "Write about {{ topic }}" }
    position: { x: 0, y: 0 }
  - id: slides
    node_type: generate_image
    config: { prompt_template: "A slide about {{ topic }}", quantity: 3 }
    position: { x: 0, y: 120 }
  - { id: attach, node_type: attach_to_document, config: { strategy: single_to_multiple }, position: { x: 240, y: 60 } }
edges:
  - { source: caption, target: attach }
  - { source: slides, target: attach }
`;

const URL = "/api/workflow-definitions";

describe("seed 000 definitions over the API", () => {
  it("validate: valid, and a broken one answers every problem at its line and column", async () => {
    const ok = await s.app.inject({ method: "POST", url: `${URL}/validate`, payload: { source: SEED000 } });
    expect(body(ok).data).toEqual({ valid: true, issues: [] });
    const broken = SEED000.replace("node_type: generate_image", "node_type: generate_imag").replace(
      "target: attach }\n  - { source: slides",
      "target: atach }\n  - { source: slides",
    );
    const r = body(await s.app.inject({ method: "POST", url: `${URL}/validate`, payload: { source: broken } })).data;
    expect(r.valid).toBe(false);
    // Just the two mistakes: not the attach node's sources they cost, nor the positions of the broken node.
    expect(r.issues.map((i: Json) => `${i.line}:${i.column} ${i.code} ${i.message}`)).toEqual([
      "10:16 WEFT_SCHEMA unknown node type `generate_imag`",
      "15:32 WEFT_UNKNOWN_REF edge 1 has target `atach`, but no node has that id",
    ]);
    expect(r.issues[0].hint).toBe("did you mean `generate_image`?");
  });

  it("create → steps and edges; moving the nodes keeps the workflow hash", async () => {
    const created = await s.app.inject({ method: "POST", url: URL, payload: { source: SEED000 } });
    expect(created.statusCode, created.body).toBe(201);
    const def = body(created).data;
    expect(def.category).toBe("social-media");
    expect(def.steps.map((st: Json) => [st.id, st.type])).toEqual([
      ["caption", "agent"],
      ["slides", "image"],
      ["attach", "attach"],
    ]);
    expect(def.edges).toEqual([
      { from: "caption", to: "attach", on: "success" },
      { from: "slides", to: "attach", on: "success" },
    ]);
    const moved = SEED000.replace("position: { x: 0, y: 120 }", "position: { x: 400, y: 300 }");
    const updated = await s.app.inject({
      method: "PUT",
      url: `${URL}/${def.id}`,
      payload: { source: `${moved}ui: { positions: { caption: { x: 9, y: 9 } } }\n`, version: def.version },
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(body(updated).data.workflow_hash).toBe(def.workflow_hash);
    expect(body(updated).data.version).toBe(def.version + 1);
  });

  it("a bad position is a 422 at its line", async () => {
    const bad = SEED000.replace("position: { x: 0, y: 0 }", 'position: { x: "left", y: 0 }');
    const res = await s.app.inject({ method: "POST", url: URL, payload: { source: bad } });
    expectError(res, 422, "WEFT_SCHEMA");
    expect(body(res).error.issues.map((i: Json) => i.line)).toEqual([8]);
  });
});
