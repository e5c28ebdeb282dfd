/**
 * The example templates from the seeds: seed 002's Implement Feature (TypeScript) and Simple Build Pipeline,
 * seed 003's multi-agent code review. Each validates without a warning and runs to the end with the offline
 * mock; each branch (a rejected spec, a review that requests changes, a high security risk, a failed scan)
 * is taken when forced.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { MockFixture } from "../../src/agents/mock/index.js";
import { stepLogDir } from "../../src/engine/logs.js";
import { loadTemplate, type TemplateRun, withTemplateRun } from "./harness.js";

const dir = fileURLToPath(new URL("../../templates/examples/", import.meta.url));
const statusOf = (r: TemplateRun, key: string) => r.steps.get(key)?.status;
const stdoutOf = (r: TemplateRun, key: string) => (r.steps.get(key)?.output as { stdout?: string } | null)?.stdout;

describe.each(["implement-feature.ts", "simple-build-pipeline.yaml", "multi-agent-code-review.yaml"])(
  "templates/examples/%s",
  (name) => {
    it("validates with no errors and no warnings", async () => {
      const { workflow, issues } = await loadTemplate(`${dir}${name}`);
      expect(issues).toEqual([]);
      expect(workflow.version).toBe("1.0");
      expect(workflow.category).toBe("examples");
      expect(workflow.description).toBeTruthy();
    });

    it("runs to the end with no args, no fixtures and its approvals approved", async () => {
      await withTemplateRun(`${dir}${name}`, {}, (r) => {
        expect(r.run.status).toBe("completed");
        expect([...r.steps.values()].filter((s) => s.status === "failed")).toEqual([]);
      });
    });
  },
);

describe("Implement Feature (TypeScript)", () => {
  const file = `${dir}implement-feature.ts`;
  const review = (verdict: "approve" | "request-changes", match?: string) => ({
    agent: "reviewer",
    ...(match === undefined ? {} : { match }),
    json: {
      verdict,
      summary: verdict === "approve" ? "Looks good." : "The toggle does not persist.",
      issues:
        verdict === "approve"
          ? []
          : [{ severity: "blocker", path: "src/theme.ts", problem: "not persisted", fix: "write to storage" }],
    },
  });

  it("researches, gets the spec approved, implements, passes review and runs tests and build", async () => {
    const fixtures: MockFixture = { responses: [review("approve")] };
    await withTemplateRun(file, { fixtures }, (r) => {
      expect(r.run.status).toBe("completed");
      expect(r.decided).toEqual(["approve-spec"]);
      for (const key of ["research-codebase", "create-spec", "implement", "review-1", "run-tests", "build"]) {
        expect(statusOf(r, key), key).toBe("completed");
      }
      expect(r.steps.has("address-review-1")).toBe(false);
      // The test env's project folder has no package.json: the scripts say so instead of failing.
      expect(stdoutOf(r, "run-tests")).toContain("no package.json");
      expect(r.run.output).toMatchObject({ outcome: "implemented", reviewRounds: 1, reviewVerdict: "approve" });
    });
  });

  it("addresses requested changes and reviews again", async () => {
    const fixtures: MockFixture = { responses: [review("request-changes", "^Review round 1 "), review("approve")] };
    await withTemplateRun(file, { fixtures }, (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "address-review-1")).toBe("completed");
      expect(statusOf(r, "review-2")).toBe("completed");
      expect(r.steps.has("address-review-2")).toBe(false);
      expect(statusOf(r, "build")).toBe("completed");
      expect(r.run.output).toMatchObject({ outcome: "implemented", reviewRounds: 2, reviewVerdict: "approve" });
    });
  });

  it("asks a person when the reviewer still requests changes, and stops when they reject", async () => {
    const fixtures: MockFixture = { responses: [review("request-changes")] };
    const decide = (key: string) => (key === "accept-open-review" ? "reject" : "approve");
    await withTemplateRun(file, { fixtures, decide }, (r) => {
      expect(r.decided).toEqual(["approve-spec", "accept-open-review"]);
      expect(r.run.status).toBe("completed");
      // maxReviewRounds defaults to 2: two rounds of fixes, three reviews.
      expect(statusOf(r, "address-review-2")).toBe("completed");
      expect(statusOf(r, "review-3")).toBe("completed");
      expect(statusOf(r, "accept-open-review")).toBe("failed");
      expect(r.steps.has("run-tests")).toBe(false);
      expect(r.run.output).toMatchObject({ outcome: "stopped-at-review", reviewRounds: 3, openIssues: 1 });
    });
  });

  it("records the decision and writes no code when the spec is rejected", async () => {
    await withTemplateRun(file, { decide: () => "reject" }, (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "approve-spec")).toBe("failed");
      expect(statusOf(r, "spec-rejected")).toBe("completed");
      expect(r.steps.has("implement")).toBe(false);
      expect(r.run.output).toMatchObject({ outcome: "spec-rejected" });
      expect(String((r.run.output as { decision: string }).decision)).toContain("rejected in a test");
    });
  });
});

describe("Simple Build Pipeline", () => {
  const file = `${dir}simple-build-pipeline.yaml`;

  it("runs its four stages in order with the default environment", async () => {
    await withTemplateRun(file, {}, (r) => {
      expect(r.run.status).toBe("completed");
      const order = ["install-deps", "build-app", "run-tests", "deploy"];
      for (const key of order) expect(statusOf(r, key)).toBe("completed");
      const started = order.map((k) => r.steps.get(k)?.startedAt ?? 0);
      expect([...started].sort((a, b) => a - b)).toEqual(started);
      expect(stdoutOf(r, "deploy")).toBe("would run pnpm deploy --env dev -> deployed\n");
    });
  });

  it("passes the environment argument to the deploy command as one word", async () => {
    await withTemplateRun(file, { args: { environment: "production" } }, (r) => {
      expect(r.run.status).toBe("completed");
      expect(stdoutOf(r, "deploy")).toBe("would run pnpm deploy --env production -> deployed\n");
    });
  });
});

describe("Multi-Agent Code Review (seed 003)", () => {
  const file = `${dir}multi-agent-code-review.yaml`;
  const security = (risk: string): MockFixture["responses"][number] => ({
    agent: "security",
    match: "^Scan these changed functions",
    json: {
      risk,
      findings:
        risk === "none"
          ? []
          : [
              {
                severity: risk,
                title: "SQL built by concatenation",
                location: "src/db.ts:42",
                recommendation: "bind it",
              },
            ],
    },
  });
  const documents = async ({ env, run }: TemplateRun) =>
    (await env.store.artifacts.list(run.id)).filter((a) => a.fileType === "document").map((a) => a.name);

  it("runs the two reviews in parallel and writes a report that reads their findings", async () => {
    await withTemplateRun(file, { fixtures: { responses: [security("low")] } }, async (r) => {
      expect(r.run.status).toBe("completed");
      const scan = r.steps.get("security-scan");
      const quality = r.steps.get("quality-check");
      const report = r.steps.get("generate-report");
      // Both reviews wait only for the parse, so they run side by side; the report waits for both.
      const { workflow } = await loadTemplate(file);
      const needs = (id: string) => workflow.steps.find((st) => st.id === id)?.needs.map((n) => n.step);
      expect(needs("security-scan")).toEqual(["parse-changes"]);
      expect(needs("quality-check")).toEqual(["parse-changes"]);
      expect(needs("generate-report")).toEqual(["security-scan", "quality-check"]);
      expect(report?.startedAt ?? 0).toBeGreaterThanOrEqual(Math.max(scan?.endedAt ?? 0, quality?.endedAt ?? 0));
      // The writer is given the findings themselves, not an empty placeholder.
      const recorded = readFileSync(join(stepLogDir(r.env.dir, r.run.id, "generate-report"), "input.json"), "utf8");
      const prompt = String((JSON.parse(recorded) as { prompt?: string }).prompt);
      expect(prompt).toContain("SQL built by concatenation");
      expect(prompt).toContain("overall risk: low");
      expect(statusOf(r, "escalate")).toBe("skipped");
      expect(await documents(r)).toEqual(["code-review-report.md"]);
    });
  });

  it("escalates a critical security risk", async () => {
    await withTemplateRun(file, { fixtures: { responses: [security("critical")] } }, async (r) => {
      expect(r.run.status).toBe("completed");
      expect(statusOf(r, "escalate")).toBe("completed");
      expect((await documents(r)).sort()).toEqual(["code-review-report.md", "security-escalation.md"]);
    });
  });

  it("fails without a report when the security scan fails for good", async () => {
    const fixtures: MockFixture = {
      responses: [{ agent: "security", fail: { times: 1, kind: "terminal", message: "scanner crashed" } }],
    };
    await withTemplateRun(file, { fixtures }, (r) => {
      expect(r.run.status).toBe("failed");
      expect(statusOf(r, "security-scan")).toBe("failed");
      expect(statusOf(r, "generate-report")).not.toBe("completed");
    });
  });
});
