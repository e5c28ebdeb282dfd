/**
 * The second batch of SDLC templates (templates/sdlc): each validates with no warnings, runs to the end on the
 * offline mock with approvals approved, and takes its other branches when the mock is scripted (fixtures) or
 * a person rejects.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MockFixture, MockResponse } from "../../src/agents/mock/index.js";
import type { Json, JsonObject } from "../../src/core/json.js";
import { stepLogDir } from "../../src/engine/logs.js";
import { repoRoot } from "../cli/helpers.js";
import { loadTemplate, type TemplateRun, withTemplateRun } from "./harness.js";

const file = (slug: string) => `${repoRoot}/templates/sdlc/${slug}.yaml`;

const TEMPLATES = [
  "incident-response",
  "dependency-upgrade",
  "api-design-review",
  "onboarding-docs",
  "test-gap-analysis",
  "database-migration-review",
  "accessibility-audit",
  "flaky-test-triage",
  "architecture-decision-record",
  "production-readiness-review",
] as const;

type Status = "completed" | "skipped" | "failed";

/** Asserts the statuses of the named step runs in one comparison, so a failure shows the whole picture. */
function expectSteps(r: TemplateRun, want: Partial<Record<Status, string[]>>): void {
  const expected: Record<string, string> = {};
  const actual: Record<string, string | undefined> = {};
  for (const [status, keys] of Object.entries(want)) {
    for (const key of keys) {
      expected[key] = status;
      actual[key] = r.steps.get(key)?.status;
    }
  }
  expect(actual).toEqual(expected);
}

/** Every step run ended completed or skipped: nothing failed along the way. */
function expectNoFailures(r: TemplateRun): void {
  const failed = [...r.steps.values()].filter((s) => s.status === "failed").map((s) => s.key);
  expect(failed).toEqual([]);
}

const answer = (agent: string, json: Json, match?: string): MockResponse => ({
  agent,
  json,
  ...(match === undefined ? {} : { match }),
});
const failing = (agent: string, match?: string): MockResponse => ({
  agent,
  fail: { times: 10, kind: "terminal" },
  ...(match === undefined ? {} : { match }),
});
const mock = (...responses: MockResponse[]): MockFixture => ({ responses });
const rejectOnly =
  (...keys: string[]) =>
  (key: string): "approve" | "reject" =>
    keys.includes(key) ? "reject" : "approve";
const stdout = (r: TemplateRun, key: string) => String((r.steps.get(key)?.output as JsonObject | null)?.stdout ?? "");
/** What a step run recorded as its input (its log's input.json): an agent's rendered prompt, an approval's message. */
const inputOf = (r: TemplateRun, key: string) =>
  JSON.parse(readFileSync(join(stepLogDir(r.env.dir, r.run.id, key), "input.json"), "utf8")) as JsonObject;
const messageOf = (r: TemplateRun, key: string) => String(inputOf(r, key).message);
const promptOf = (r: TemplateRun, key: string) => String(inputOf(r, key).prompt);

type Out = (step: string) => JsonObject;
const C = "completed";
const S = "skipped";
const when = (cond: boolean): Status => (cond ? C : S);

/**
 * The run with no arguments on the unscripted mock, every approval approved. The mock picks enum values from a
 * hash of the prompt, so the branches it takes are whatever its answers call for: `expected` derives every
 * top-level step's status from the outputs the run produced.
 */
async function expectPlainRun(f: string, expected: (out: Out) => Record<string, Status>): Promise<void> {
  await withTemplateRun(f, {}, (r) => {
    expect(r.run.status).toBe("completed");
    expectNoFailures(r);
    const out: Out = (id) => (r.steps.get(id)?.output ?? {}) as JsonObject;
    const topLevel = Object.fromEntries(
      [...r.steps.values()].filter((s) => s.iteration === null).map((s) => [s.key, s.status]),
    );
    expect(topLevel).toEqual(expected(out));
  });
}
const list = (v: Json | undefined) => (Array.isArray(v) ? v : []);

describe.each(TEMPLATES)("%s", (slug) => {
  it("validates with no errors or warnings and has the gallery metadata", async () => {
    const { workflow, issues } = await loadTemplate(file(slug));
    expect(issues.map((i) => `${i.severity} ${i.location.line}:${i.location.column} ${i.message}`)).toEqual([]);
    expect(workflow.name).toMatch(/^[A-Z]/);
    expect(workflow.category).toBe("sdlc");
    expect(workflow.version).toBe("1.0");
    expect(workflow.description).toBeTruthy();
    expect(workflow.tags.length).toBeGreaterThan(0);
    expect(workflow.steps.length).toBeGreaterThanOrEqual(4);
    expect(workflow.steps.length).toBeLessThanOrEqual(9);
    for (const step of workflow.steps) expect(workflow.phases, step.id).toContain(step.phase);
    expect(workflow.argsSchema?.type).toBe("object");
    const props = (workflow.argsSchema?.properties ?? {}) as Record<string, JsonObject>;
    expect(Object.keys(props).length).toBeGreaterThan(0);
    for (const [name, prop] of Object.entries(props)) {
      expect(prop.default, name).toBeDefined();
      expect(prop.description, name).toBeTypeOf("string");
    }
    const agents = workflow.steps.filter((s) => s.type === "agent");
    for (const step of agents) expect(String(step.config.system ?? "").length, step.id).toBeGreaterThan(150);
    expect(workflow.steps.some((s) => s.type === "approval")).toBe(true);
  });
});

describe("incident-response", () => {
  const f = file("incident-response");
  const triage = (severity: string, customerFacing: boolean) =>
    answer(
      "incident-commander",
      {
        severity,
        customer_facing: customerFacing,
        summary: "Checkout requests fail or time out for 7% of customers since deploy #4812.",
        suspected_cause: "Retry storm from the payment client retry change in deploy #4812",
        mitigation_strategy: "rollback-deploy",
      },
      "Classify the incident",
    );
  const mitigation = (outcome: string) =>
    answer("sre", {
      outcome,
      actions_taken: ["14:31 UTC rolled back checkout-api to #4811", "14:38 UTC p99 latency back to 620ms"],
      residual_risk: "The tax engine flag is still at 50%.",
    });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => {
      const postmortem = when(["SEV1", "SEV2"].includes(String(out("triage").severity)));
      return {
        triage: C,
        mitigate: C,
        escalate: when(out("mitigate").outcome !== "mitigated"),
        "customer-update": when(out("triage").customer_facing === true),
        "confirm-resolved": C,
        "keep-open": S,
        postmortem,
        "postmortem-review": postmortem,
        "postmortem-rework": S,
      };
    }));

  it("SEV1, customer-facing, mitigation did not hold: escalates, updates the status page, writes the postmortem", async () => {
    await withTemplateRun(f, { fixtures: mock(triage("SEV1", true), mitigation("not-mitigated")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: [
          "triage",
          "mitigate",
          "escalate",
          "customer-update",
          "confirm-resolved",
          "postmortem",
          "postmortem-review",
        ],
        skipped: ["keep-open", "postmortem-rework"],
      });
      expect(r.decided).toEqual(["confirm-resolved", "postmortem-review"]);
      expect(messageOf(r, "confirm-resolved")).toMatch(
        /the SEV1 incident can be resolved\. Mitigation: not-mitigated\. Escalated: true\.$/,
      );
      expect(promptOf(r, "escalate")).toContain("Mitigation outcome: not-mitigated");
    });
  });

  it("SEV4, internal, mitigated: no escalation, no customer update, no postmortem", async () => {
    await withTemplateRun(f, { fixtures: mock(triage("SEV4", false), mitigation("mitigated")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["triage", "mitigate", "confirm-resolved"],
        skipped: ["escalate", "customer-update", "postmortem", "postmortem-review", "keep-open"],
      });
    });
  });

  it("the mitigation step failing escalates instead of failing the run", async () => {
    await withTemplateRun(f, { fixtures: mock(triage("SEV2", true), failing("sre")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        failed: ["mitigate"],
        completed: ["escalate", "customer-update", "confirm-resolved", "postmortem", "postmortem-review"],
      });
      expect(promptOf(r, "escalate")).toMatch(
        /Mitigation outcome: the mitigation step failed: mock: agent "sre" failed/,
      );
      expect(promptOf(r, "customer-update")).toContain("Current state: still under investigation");
    });
  });

  it("the incident commander not confirming resolution keeps the incident open, with no postmortem", async () => {
    const o = { fixtures: mock(triage("SEV2", true)), decide: rejectOnly("confirm-resolved") };
    await withTemplateRun(f, o, (r) => {
      expectSteps(r, {
        failed: ["confirm-resolved"],
        completed: ["keep-open"],
        skipped: ["postmortem", "postmortem-review", "postmortem-rework"],
      });
      expect(stdout(r, "keep-open")).toContain("checkout-api stays open");
    });
  });

  it("a rejected postmortem goes back to its author", async () => {
    const o = { fixtures: mock(triage("SEV1", true)), decide: rejectOnly("postmortem-review") };
    await withTemplateRun(f, o, (r) => {
      expectSteps(r, {
        completed: ["confirm-resolved", "postmortem", "postmortem-rework"],
        failed: ["postmortem-review"],
      });
      expect(stdout(r, "postmortem-rework")).toContain("sent back for rework");
    });
  });
});

describe("dependency-upgrade", () => {
  const f = file("dependency-upgrade");
  const inventory = answer("dependency-analyst", {
    outdated: [
      { name: "axios", current: "0.27.2", latest: "1.7.9", bump: "major", security_advisory: true },
      { name: "lodash", current: "4.17.20", latest: "4.17.21", bump: "patch", security_advisory: true },
    ],
    summary: "Two outdated dependencies, both with advisories.",
  });
  const assess = (name: string, risk: string) =>
    answer(
      "senior-engineer",
      { name, risk, breaking_changes: [], migration_notes: "None.", recommendation: "upgrade" },
      `upgrading ${name} `,
    );
  const plan = answer("tech-lead", { upgrade_now: ["axios", "lodash"], deferred: ["next"], overall_risk: "medium" });
  const qa = (verdict: string) =>
    answer("qa-engineer", {
      verdict,
      regressions: verdict === "fail" ? ["axios 1.x rejects on 4xx where 0.27 resolved"] : [],
      smoke_tests: ["place an order with a saved card"],
    });
  const happy = [inventory, assess("axios", "medium"), assess("lodash", "low"), plan];

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => {
      const outdated = list(out("inventory").outdated).length > 0;
      const upgrading = outdated && list(out("plan").upgrade_now).length > 0;
      const verdict = out("regression-check").verdict;
      return {
        inventory: C,
        assess: when(outdated),
        plan: when(outdated),
        "apply-upgrades": when(upgrading),
        "regression-check": when(upgrading),
        "report-regressions": when(upgrading && verdict === "fail"),
        "merge-approval": when(upgrading && verdict === "pass"),
        "open-pr": when(upgrading && verdict === "pass"),
        "shelve-batch": S,
      };
    }));

  it("upgrades each planned dependency, passes the regression check, and opens the PR after sign-off", async () => {
    await withTemplateRun(f, { fixtures: mock(...happy, qa("pass")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: [
          "assess[0]",
          "assess[1]",
          "apply-upgrades[0]",
          "apply-upgrades[1]",
          "regression-check",
          "merge-approval",
          "open-pr",
        ],
        skipped: ["report-regressions", "shelve-batch"],
      });
      expect(r.steps.has("apply-upgrades[2]")).toBe(false);
      expect(stdout(r, "open-pr")).toContain("upgrade axios, lodash");
      expect(messageOf(r, "merge-approval")).toBe(
        "Merge the upgrade of axios, lodash in acme/storefront-web? Batch risk: medium. Deferred: 1.",
      );
      expect(promptOf(r, "apply-upgrades[1]")).toMatch(/^Upgrade lodash in acme\/storefront-web \(npm\)/);
    });
  });

  it("a failed regression check reports the regressions instead of asking to merge", async () => {
    await withTemplateRun(f, { fixtures: mock(...happy, qa("fail")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, { completed: ["report-regressions"], skipped: ["merge-approval", "open-pr", "shelve-batch"] });
      expect(r.decided).toEqual([]);
    });
  });

  it("a refused merge shelves the batch", async () => {
    await withTemplateRun(f, { fixtures: mock(...happy, qa("pass")), decide: () => "reject" }, (r) => {
      expectSteps(r, { failed: ["merge-approval"], completed: ["shelve-batch"], skipped: ["open-pr"] });
    });
  });

  it("nothing outdated: nothing to assess or upgrade", async () => {
    const none = answer("dependency-analyst", { outdated: [], summary: "Everything is current." });
    await withTemplateRun(f, { fixtures: mock(none) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["inventory"],
        skipped: ["assess", "plan", "apply-upgrades", "regression-check", "merge-approval", "open-pr"],
      });
    });
  });
});

describe("api-design-review", () => {
  const f = file("api-design-review");
  const verdict = (decision: string) =>
    answer("principal-engineer", {
      decision,
      required_changes: ["Use cursor pagination on GET /v2/orders", "Return 201 with Location from POST /v2/orders"],
      rationale: "Sound resource model; two MUST findings are small.",
    });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => {
      const redesign = out("verdict").decision === "redesign";
      return {
        "style-review": C,
        "security-review": C,
        "consumer-impact": C,
        verdict: C,
        "redesign-brief": when(redesign),
        "architecture-signoff": when(!redesign),
        "reopen-review": S,
        "publish-review": when(!redesign),
      };
    }));

  it("approve-with-changes: signed off, review record and migration notes published", async () => {
    await withTemplateRun(f, { fixtures: mock(verdict("approve-with-changes")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["verdict", "architecture-signoff", "publish-review"],
        skipped: ["redesign-brief", "reopen-review"],
      });
      expect(r.steps.get("publish-review")?.output).toHaveProperty("document_id");
      expect(messageOf(r, "architecture-signoff")).toMatch(
        /^Sign off Orders API v2 \(approve-with-changes\): 2 required changes/,
      );
    });
  });

  it("redesign: a brief for the next iteration, no sign-off", async () => {
    await withTemplateRun(f, { fixtures: mock(verdict("redesign")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["redesign-brief"],
        skipped: ["architecture-signoff", "publish-review", "reopen-review"],
      });
      expect(r.decided).toEqual([]);
    });
  });

  it("a refused sign-off reopens the review", async () => {
    await withTemplateRun(f, { fixtures: mock(verdict("approve")), decide: () => "reject" }, (r) => {
      expectSteps(r, { failed: ["architecture-signoff"], completed: ["reopen-review"], skipped: ["publish-review"] });
    });
  });
});

describe("onboarding-docs", () => {
  const f = file("onboarding-docs");
  const map = answer("staff-engineer", {
    sections: [
      { title: "Local setup", goal: "Run payments-api and ledger-service locally on day one" },
      { title: "Shipping a change", goal: "Merge and deploy a change through Argo CD safely" },
    ],
    access_requests: ["AWS SSO payments-dev", "PagerDuty shadow"],
    stale_docs: ["Payments 101 (2022)"],
  });
  const review = (verdict: string) =>
    answer("senior-engineer", {
      verdict,
      corrections: verdict === "needs-fixes" ? ["`make dev-up` replaced `docker compose up` in March"] : [],
    });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => ({
      "map-knowledge": C,
      "draft-sections": C,
      "first-week-plan": C,
      assemble: C,
      "accuracy-review": C,
      "apply-corrections": when(out("accuracy-review").verdict === "needs-fixes"),
      "manager-signoff": C,
      publish: C,
      "keep-draft": S,
    })));

  it("drafts one section per mapped topic, applies the corrections, and publishes after sign-off", async () => {
    await withTemplateRun(f, { fixtures: mock(map, review("needs-fixes")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["draft-sections[0]", "draft-sections[1]", "apply-corrections", "manager-signoff", "publish"],
        skipped: ["keep-draft"],
      });
      expect(r.steps.has("draft-sections[2]")).toBe(false);
      expect(r.steps.get("assemble")?.output).toHaveProperty("document_id");
      expect(messageOf(r, "manager-signoff")).toMatch(/Accuracy review: needs-fixes, 1 correction\(s\) applied\.$/);
    });
  });

  it("an accurate guide goes straight to sign-off", async () => {
    await withTemplateRun(f, { fixtures: mock(map, review("accurate")) }, (r) => {
      expectSteps(r, { skipped: ["apply-corrections", "keep-draft"], completed: ["manager-signoff", "publish"] });
      expect(messageOf(r, "manager-signoff")).toMatch(/Accuracy review: accurate, no corrections needed\.$/);
    });
  });

  it("a refused sign-off keeps the guide a draft", async () => {
    await withTemplateRun(f, { fixtures: mock(map, review("accurate")), decide: () => "reject" }, (r) => {
      expectSteps(r, { failed: ["manager-signoff"], completed: ["keep-draft"], skipped: ["publish"] });
    });
  });

  it("a failed revision stops before sign-off (the run still completes: an on: always edge handles it)", async () => {
    const o = { fixtures: mock(map, review("needs-fixes"), failing("tech-writer", "^Corrections:")) };
    await withTemplateRun(f, o, (r) => {
      expectSteps(r, { failed: ["apply-corrections"], skipped: ["manager-signoff", "publish", "keep-draft"] });
      expect(r.run.status).toBe("completed");
      expect(r.decided).toEqual([]);
    });
  });
});

describe("test-gap-analysis", () => {
  const f = file("test-gap-analysis");
  const gaps = answer("test-architect", {
    meets_target: false,
    must_fix: [
      { area: "proration on downgrade at cycle end", level: "unit", cases: ["downgrade on the last day"] },
      { area: "dunning after cancellation", level: "integration", cases: ["no retry once cancelled"] },
    ],
    backlog: ["duplicate invoice.finalized events"],
  });
  const review = (verdict: string) =>
    answer("senior-engineer", { verdict, comments: ["Fix the clock in the proration test"] });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => {
      const gaps = list(out("find-gaps").must_fix).length > 0;
      return {
        "map-behaviours": C,
        "find-gaps": C,
        "health-report": when(!gaps),
        "write-tests": when(gaps),
        "review-tests": when(gaps),
        "revise-tests": when(gaps && out("review-tests").verdict === "revise"),
        "qa-signoff": when(gaps),
        "file-backlog": when(gaps),
      };
    }));

  it("writes tests per gap, revises them after review, and files the backlog once QA signs off", async () => {
    await withTemplateRun(f, { fixtures: mock(gaps, review("revise")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["write-tests[0]", "write-tests[1]", "review-tests", "revise-tests", "qa-signoff", "file-backlog"],
        skipped: ["health-report"],
      });
      expect(stdout(r, "file-backlog")).toContain("duplicate invoice.finalized events");
    });
  });

  it("approved tests need no revision", async () => {
    await withTemplateRun(f, { fixtures: mock(gaps, review("approve")) }, (r) => {
      expectSteps(r, { skipped: ["revise-tests", "health-report"], completed: ["qa-signoff", "file-backlog"] });
    });
  });

  it("no gap worth closing: a health report instead of new tests", async () => {
    const none = answer("test-architect", { meets_target: true, must_fix: [], backlog: ["contract tests"] });
    await withTemplateRun(f, { fixtures: mock(none) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["health-report"],
        skipped: ["write-tests", "review-tests", "revise-tests", "qa-signoff", "file-backlog"],
      });
    });
  });

  it("the QA lead rejecting the plan fails the run", async () => {
    await withTemplateRun(f, { fixtures: mock(gaps, review("approve")), decide: () => "reject" }, (r) => {
      expect(r.run.status).toBe("failed");
      expectSteps(r, { failed: ["qa-signoff"], skipped: ["file-backlog"] });
    });
  });
});

describe("database-migration-review", () => {
  const f = file("database-migration-review");
  const risky = answer("dba", {
    statements: [{ sql: "ALTER TABLE orders DROP COLUMN warehouse_id", lock: "exclusive", concern: "one-way" }],
    risk: "high",
    zero_downtime: false,
    data_loss_possible: true,
  });
  const safe = answer("dba", { statements: [], risk: "low", zero_downtime: true, data_loss_possible: false });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => ({
      analyze: C,
      "rollback-plan": C,
      "safe-rewrite": when(out("analyze").risk === "high" || out("analyze").zero_downtime !== true),
      "dba-signoff": C,
      "block-migration": S,
      runbook: C,
      "post-migration-checks": C,
    })));

  it("a risky production migration is rewritten, signed off by the DBA, and gets a runbook", async () => {
    await withTemplateRun(f, { fixtures: mock(risky) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["safe-rewrite", "dba-signoff", "runbook", "post-migration-checks"],
        skipped: ["block-migration"],
      });
      expect(r.decided).toEqual(["dba-signoff"]);
      expect(r.steps.get("runbook")?.output).toHaveProperty("document_id");
      expect(messageOf(r, "dba-signoff")).toMatch(
        /risk high, zero downtime false, data loss possible true, .*, rewritten as expand\/contract steps\. Approve/,
      );
    });
  });

  it("a safe migration in staging needs neither a rewrite nor a sign-off", async () => {
    await withTemplateRun(f, { args: { environment: "staging" }, fixtures: mock(safe) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        skipped: ["safe-rewrite", "dba-signoff", "block-migration"],
        completed: ["runbook", "post-migration-checks"],
      });
      expect(r.decided).toEqual([]);
      expect(promptOf(r, "runbook")).toContain("Approved by: not required in staging");
      expect(promptOf(r, "runbook")).toContain("Safer rewrite (use it instead when present): none; run as written");
    });
  });

  it("the DBA refusing blocks the migration: no runbook", async () => {
    await withTemplateRun(f, { fixtures: mock(risky), decide: () => "reject" }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        failed: ["dba-signoff"],
        completed: ["block-migration"],
        skipped: ["runbook", "post-migration-checks"],
      });
    });
  });
});

describe("accessibility-audit", () => {
  const f = file("accessibility-audit");
  const consolidated = (fixes: Json[]) =>
    answer(
      "accessibility-lead",
      { conformance: fixes.length ? "does-not-conform" : "conforms", summary: "Audit summary.", fixes },
      "^Findings for",
    );
  const fixes = [
    { title: "Label the coupon field", criterion: "1.3.1", impact: "serious", location: "acme-ui TextField" },
    { title: "Trap focus in the 3-D Secure modal", criterion: "2.4.3", impact: "critical", location: "acme-ui Modal" },
  ];
  const retest = (verdict: string) =>
    answer("assistive-tech-tester", {
      verdict,
      remaining: verdict === "fail" ? ["3-D Secure modal still loses focus on VoiceOver"] : [],
    });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => {
      const fixes = list(out("consolidate").fixes).length > 0;
      return {
        "audit-pages": C,
        consolidate: C,
        remediate: when(fixes),
        "verify-fixes": when(fixes),
        "track-remaining": when(fixes && out("verify-fixes").verdict === "fail"),
        "a11y-signoff": C,
        "conformance-report": C,
        "hold-report": S,
      };
    }));

  it("remediates each fix, passes the re-test, and publishes the signed-off report", async () => {
    await withTemplateRun(f, { fixtures: mock(consolidated(fixes), retest("pass")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["remediate[0]", "remediate[1]", "verify-fixes", "a11y-signoff", "conformance-report"],
        skipped: ["track-remaining", "hold-report"],
      });
    });
  });

  it("issues still failing the re-test are tracked before sign-off", async () => {
    await withTemplateRun(f, { fixtures: mock(consolidated(fixes), retest("fail")) }, (r) => {
      expectSteps(r, { completed: ["verify-fixes", "track-remaining", "a11y-signoff", "conformance-report"] });
    });
  });

  it("nothing to fix: straight to sign-off", async () => {
    await withTemplateRun(f, { fixtures: mock(consolidated([])) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        skipped: ["remediate", "verify-fixes", "track-remaining"],
        completed: ["a11y-signoff", "conformance-report"],
      });
      expect(messageOf(r, "a11y-signoff")).toMatch(
        /conforms before remediation, 0 fixes, re-test not needed, 0 issues/,
      );
    });
  });

  it("a refused sign-off holds the report back", async () => {
    await withTemplateRun(f, { fixtures: mock(consolidated(fixes), retest("pass")), decide: () => "reject" }, (r) => {
      expectSteps(r, { failed: ["a11y-signoff"], completed: ["hold-report"], skipped: ["conformance-report"] });
    });
  });
});

describe("flaky-test-triage", () => {
  const f = file("flaky-test-triage");
  const plan = (fixNow: string[], quarantine: string[], bugs: string[]) =>
    answer(
      "qa-lead",
      { fix_now: fixNow, quarantine, product_bugs: bugs, summary: "Triage summary." },
      "^Diagnoses for",
    );
  const everything = plan(
    ["checkout.spec.ts › applies discount after address change"],
    ["InventorySyncTest.reconcilesPartialShipments", "search.e2e › paginates with filters"],
    ["InventorySyncTest.reconcilesPartialShipments"],
  );

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => {
      const plan = out("triage-plan");
      const quarantine = when(list(plan.quarantine).length > 0);
      return {
        diagnose: C,
        "triage-plan": C,
        "fix-tests": when(list(plan.fix_now).length > 0),
        "file-product-bugs": when(list(plan.product_bugs).length > 0),
        "approve-quarantine": quarantine,
        quarantine,
        "keep-gating": S,
        report: C,
      };
    }));

  it("fixes, files bugs, and quarantines each test once approved", async () => {
    await withTemplateRun(f, { fixtures: mock(everything) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: [
          "fix-tests[0]",
          "file-product-bugs",
          "approve-quarantine",
          "quarantine[0]",
          "quarantine[1]",
          "report",
        ],
        skipped: ["keep-gating"],
      });
      expect(stdout(r, "quarantine[1]")).toContain("quarantined: search.e2e");
      expect(messageOf(r, "approve-quarantine")).toMatch(/^Quarantine 2 tests in /);
    });
  });

  it("a refused quarantine keeps the tests gating merges", async () => {
    await withTemplateRun(f, { fixtures: mock(everything), decide: () => "reject" }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        failed: ["approve-quarantine"],
        completed: ["keep-gating", "fix-tests", "file-product-bugs", "report"],
        skipped: ["quarantine"],
      });
    });
  });

  it("only fixes: no bug reports, no quarantine, nobody asked", async () => {
    await withTemplateRun(f, { fixtures: mock(plan(["a", "b"], [], [])) }, (r) => {
      expectSteps(r, {
        completed: ["fix-tests[0]", "fix-tests[1]", "report"],
        skipped: ["file-product-bugs", "approve-quarantine", "quarantine", "keep-gating"],
      });
      expect(r.decided).toEqual([]);
    });
  });
});

describe("architecture-decision-record", () => {
  const f = file("architecture-decision-record");
  const recommend = (confidence: string) =>
    answer("principal-architect", {
      chosen_option: "Amazon SNS + SQS FIFO queues",
      confidence,
      rationale: "Meets ordering and replay with the least operational load.",
      consequences: ["Replay beyond 14 days needs an archive"],
      open_question: "Does FIFO throughput per message group hold at 4k events/s?",
    });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => ({
      frame: C,
      "evaluate-options": C,
      recommend: C,
      "spike-plan": when(out("recommend").confidence === "low"),
      "write-adr": C,
      "decision-review": C,
      "accept-adr": C,
      "leave-proposed": S,
    })));

  it("low confidence plans a spike before the ADR is accepted", async () => {
    await withTemplateRun(f, { fixtures: mock(recommend("low")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["spike-plan", "write-adr", "decision-review", "accept-adr"],
        skipped: ["leave-proposed"],
      });
      expect(r.steps.get("write-adr")?.output).toHaveProperty("document_id");
      expect(promptOf(r, "write-adr")).toContain("Status: Proposed (pending spike).");
      expect(messageOf(r, "decision-review")).toMatch(/with low\s+confidence, pending a spike/);
    });
  });

  it("high confidence needs no spike", async () => {
    await withTemplateRun(f, { fixtures: mock(recommend("high")) }, (r) => {
      expectSteps(r, { skipped: ["spike-plan", "leave-proposed"], completed: ["write-adr", "accept-adr"] });
      expect(messageOf(r, "decision-review")).toMatch(/with high\s+confidence\.$/);
    });
  });

  it("the deciders not accepting leaves the ADR proposed", async () => {
    await withTemplateRun(f, { fixtures: mock(recommend("high")), decide: () => "reject" }, (r) => {
      expectSteps(r, { failed: ["decision-review"], completed: ["leave-proposed"], skipped: ["accept-adr"] });
      expect(stdout(r, "leave-proposed")).toContain("stays Proposed");
    });
  });
});

describe("production-readiness-review", () => {
  const f = file("production-readiness-review");
  const decision = (d: string) =>
    answer("readiness-lead", {
      decision: d,
      blockers: d === "no-go" ? ["No load test at sales-event traffic"] : [],
      conditions: d === "go-with-conditions" ? ["SLO burn alert paging by launch + 14 days"] : [],
      summary: "Readiness summary.",
    });

  it("runs to the end with no arguments, taking the branches the mock's answers call for", () =>
    expectPlainRun(f, (out) => {
      const decision = out("readiness-decision").decision;
      const launching = when(decision !== "no-go");
      return {
        "area-review": C,
        "readiness-decision": C,
        "remediation-plan": when(decision !== "go"),
        "launch-approval": launching,
        "oncall-handover": launching,
        launch: launching,
        "no-go-notice": when(decision === "no-go"),
        "postpone-launch": S,
      };
    }));

  it("go: approved, handed over to on-call, launched", async () => {
    await withTemplateRun(f, { fixtures: mock(decision("go")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["launch-approval", "oncall-handover", "launch"],
        skipped: ["remediation-plan", "no-go-notice", "postpone-launch"],
      });
      expect(stdout(r, "launch")).toContain("notification-service cleared for launch");
      expect(messageOf(r, "launch-approval")).toMatch(/^Launch notification-service \(tier-1\) on 2025-06-02\?/);
    });
  });

  it("go-with-conditions: a remediation plan, then the launch", async () => {
    await withTemplateRun(f, { fixtures: mock(decision("go-with-conditions")) }, (r) => {
      expectSteps(r, {
        completed: ["remediation-plan", "launch-approval", "oncall-handover", "launch"],
        skipped: ["no-go-notice"],
      });
    });
  });

  it("no-go: a remediation plan and a notice to stakeholders, no launch", async () => {
    await withTemplateRun(f, { fixtures: mock(decision("no-go")) }, (r) => {
      expect(r.run.status).toBe("completed");
      expectSteps(r, {
        completed: ["remediation-plan", "no-go-notice"],
        skipped: ["launch-approval", "oncall-handover", "launch", "postpone-launch"],
      });
      expect(r.decided).toEqual([]);
    });
  });

  it("a refused launch postpones it", async () => {
    await withTemplateRun(f, { fixtures: mock(decision("go")), decide: () => "reject" }, (r) => {
      expectSteps(r, { failed: ["launch-approval"], completed: ["postpone-launch"], skipped: ["launch"] });
    });
  });
});
