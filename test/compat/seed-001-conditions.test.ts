/**
 * Seed 001's conditions as written: `condition: "{{steps.triage.output.severity}} > 3"` on a step whose
 * source agent has no outputSchema. The seed's bug-lifecycle workflow (test/fixtures/compat/seed-001/) runs
 * end to end through the real engine with the offline mock provider scripted to answer JSON; a missing
 * severity fails the guarded step with a message naming the step, the reference, the field and the answer;
 * `weft validate` (the real CLI) warns when a schema leaves the field out.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { MockFixture } from "../../src/agents/mock/index.js";
import type { Json, JsonObject } from "../../src/core/json.js";
import { cleanupDirs, type Loose, repoRoot, tempDir, weftIn } from "../cli/helpers.js";
import { serverEnv } from "../server/helpers.js";
import { type TemplateRun, withTemplateRun } from "../templates/harness.js";

afterAll(() => cleanupDirs());

const dir = join(repoRoot, "test/fixtures/compat/seed-001");
const workflow = join(dir, "bug-lifecycle-conditions.yaml");
const args = { bug_description: "Saving a draft with an emoji in the title crashes the editor" };

/** The mock's answers: bug-triage-agent says `triage`; the other agents answer their default text. */
const triageSays = (answer: { json: Json } | { text: string }): MockFixture => ({
  responses: [{ agent: "bug-triage-agent", ...answer }],
});

const statuses = (r: TemplateRun) => Object.fromEntries([...r.steps].map(([key, s]) => [key, s.status]));

describe("seed 001: the bug lifecycle's condition on triage's JSON answer", () => {
  it("severity 5 → assign runs, gets triage's answer as bug_info, and fix follows", async () => {
    const triage = { severity: 5, summary: "editor crash on save", component: "editor" };
    await withTemplateRun(workflow, { args, fixtures: triageSays({ json: triage }) }, (r) => {
      expect(r.run.status).toBe("completed");
      expect(statuses(r)).toEqual({
        triage: "completed",
        assign: "completed",
        fix: "completed",
        notify_team: "skipped",
      });
      const output = r.steps.get("triage")?.output as JsonObject;
      expect(output).toMatchObject(triage);
      expect(JSON.parse(output.result as string)).toEqual(triage);
      // `{{steps.triage.output}}` in assign's inputs is the object, fields and all.
      const input = JSON.parse(readFileSync(join(r.env.dir, "runs", r.run.id, "logs", "assign", "input.json"), "utf8"));
      expect(input.inputs).toEqual({ bug_info: output });
    });
  });

  it("severity 2 → assign is skipped, and fix with it", async () => {
    await withTemplateRun(workflow, { args, fixtures: triageSays({ json: { severity: 2, summary: "typo" } }) }, (r) => {
      expect(r.run.status).toBe("completed");
      expect(statuses(r)).toEqual({ triage: "completed", assign: "skipped", fix: "skipped", notify_team: "skipped" });
    });
  });

  it("an answer in a ```json fence counts; a numeric string compares as a number, as before", async () => {
    const fenced = '```json\n{\n  "severity": 4,\n  "summary": "crash"\n}\n```';
    await withTemplateRun(workflow, { args, fixtures: triageSays({ text: fenced }) }, (r) => {
      expect(r.steps.get("triage")?.output).toEqual({ severity: 4, summary: "crash", result: fenced });
      expect(statuses(r)).toMatchObject({ assign: "completed", fix: "completed" });
    });
    await withTemplateRun(workflow, { args, fixtures: triageSays({ json: { severity: "5" } }) }, (r) => {
      expect(statuses(r)).toMatchObject({ assign: "completed", fix: "completed" });
    });
  });

  it("an answer without severity fails assign, naming the step, the reference, the field and the answer", async () => {
    const answer = { summary: "editor crash on save", priority: "high" };
    await withTemplateRun(workflow, { args, fixtures: triageSays({ json: answer }) }, (r) => {
      expect(r.run.status).toBe("failed");
      expect(statuses(r)).toMatchObject({ triage: "completed", assign: "failed", fix: "skipped" });
      const error = r.steps.get("assign")?.error;
      expect(error?.code).toBe("WEFT_EXPRESSION");
      expect(error?.message).not.toContain("answered text");
      const text = JSON.stringify(`${JSON.stringify(answer, null, 2)}`);
      expect(error?.message).toBe(
        "if of step `assign`: cannot compare null with a number (3) using `>` (line 1, column 34) — " +
          "`steps.triage.output.severity` is missing: `steps.triage.output` has no `severity`; it is an object: " +
          `{"summary":"editor crash on save","priority":"high","result":${text}}; give it a fallback with default(value, 0)`,
      );
    });
  });

  it("a text answer (not JSON) fails assign the same way, showing the text", async () => {
    const prose = "Severity: high. The editor crashes when the title has an emoji.";
    await withTemplateRun(workflow, { args, fixtures: triageSays({ text: prose }) }, (r) => {
      expect(statuses(r)).toMatchObject({ assign: "failed" });
      expect(r.steps.get("assign")?.error?.message).toContain(
        `\`steps.triage.output\` has no \`severity\`; it is an object: {"result":"${prose}"}; ` +
          "give it a fallback with default(value, 0). " +
          "Step `triage` answered text, not a JSON object: ask for JSON only, or give it an outputSchema",
      );
    });
  });

  it("the same failure through `weft run`, with the long answer cut in the message", async () => {
    const data = tempDir();
    const fixtures = join(data, "mock.json");
    const long = "x".repeat(500);
    writeFileSync(fixtures, JSON.stringify(triageSays({ json: { summary: long } })));
    const r = await weftIn(data, [
      "--mock-fixtures",
      fixtures,
      "run",
      workflow,
      "--context",
      JSON.stringify(args),
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(1);
    const summary = JSON.parse(r.lines[r.lines.length - 1] as string) as Loose;
    expect(summary).toMatchObject({ type: "summary", status: "failed" });
    const assign = (summary.steps as Loose[]).find((s) => s.key === "assign");
    const message = assign.error.message as string;
    expect(message).toMatch(/^if of step `assign`: .*`steps\.triage\.output\.severity` is missing/);
    const shown = /it is an object: (.*); give it/.exec(message)?.[1] ?? "";
    expect(shown).toHaveLength(240);
    expect(shown.endsWith("…")).toBe(true);
  });
});

describe("seed 001: weft validate on a condition the outputSchema does not back", () => {
  it("warns at the field's line and column, and the file stays valid", async () => {
    const file = join(dir, "bug-lifecycle-undeclared.yaml");
    const r = await weftIn(tempDir(), ["validate", file]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.lines).toContain(
      `${file}:21:41: warning WEFT_UNDECLARED_FIELD: step \`assign\` reads \`steps.triage.output.severity\` in \`if\`, ` +
        "but the outputSchema of `triage` does not declare `severity`, so the answer may not have it",
    );
    expect(r.stdout).toContain("→ it declares `priority` and `summary`; declare `severity` under its properties");

    const json = await weftIn(tempDir(), ["validate", file, "--format", "json"]);
    const [entry] = JSON.parse(json.stdout) as Loose[];
    expect(entry.valid).toBe(true);
    expect(entry.issues).toEqual([
      expect.objectContaining({
        code: "WEFT_UNDECLARED_FIELD",
        severity: "warning",
        location: { file, line: 21, column: 41 },
      }),
    ]);
  });

  it("POST /api/workflow-definitions/validate gives the same warning, with its line and column", async () => {
    const s = await serverEnv();
    try {
      const source = readFileSync(join(dir, "bug-lifecycle-undeclared.yaml"), "utf8");
      const res = await s.app.inject({
        method: "POST",
        url: "/api/workflow-definitions/validate",
        payload: { source },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({
        valid: true,
        issues: [{ code: "WEFT_UNDECLARED_FIELD", severity: "warning", line: 21, column: 41 }],
      });
    } finally {
      await s.close();
    }
  });

  it("says nothing for the seed's own file, which has no outputSchema (checked when it runs)", async () => {
    const r = await weftIn(tempDir(), ["validate", workflow]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.trim()).toBe(`✓ ${workflow} is valid`);
  });
});
