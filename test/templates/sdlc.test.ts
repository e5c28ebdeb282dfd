/**
 * Seed 001's ten SDLC templates (templates/sdlc/): each validates without a warning, has the seed's number of
 * steps, runs to the end with the offline mock and every approval approved, and takes its other branches when
 * the mock is scripted (fixtures) or a person rejects.
 *
 * The unscripted mock picks enum values from a hash of the prompt, so the plain `{}` run may take any branch:
 * its check derives the expected statuses from the outputs the run produced. The scripted runs pin each branch.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MockFixture, MockResponse } from "../../src/agents/mock/index.js";
import type { Json, JsonObject } from "../../src/core/json.js";
import type { RunStatus, StepStatus } from "../../src/core/model.js";
import { stepLogDir } from "../../src/engine/logs.js";
import { repoRoot } from "../cli/helpers.js";
import { loadTemplate, type TemplateRun, withTemplateRun } from "./harness.js";

const C = "completed";
const S = "skipped";
const F = "failed";

type Out = (step: string) => JsonObject;
type Statuses = Record<string, StepStatus>;

interface Branch {
  name: string;
  fixtures?: MockFixture;
  decide?: (key: string) => "approve" | "reject";
  status: RunStatus;
  steps: Statuses;
  check?: (r: TemplateRun) => void;
}

interface Template {
  slug: string;
  name: string;
  /** The seed's step count. */
  count: number;
  /** The statuses a run must end with, given what its steps answered (every approval approved). */
  expected: (out: Out) => Statuses;
  /** Mock answers that take every step of the main path. */
  mainPath: MockResponse[];
  branches: Branch[];
}

/** A scripted answer of `agent` (to prompts matching `match`). */
const say = (agent: string, json: Json, match?: string): MockResponse => ({
  agent,
  json,
  ...(match === undefined ? {} : { match }),
});
/** `agent` fails for good (not retried), e.g. a provider refusing the request. */
const breaks = (agent: string): MockResponse => ({ agent, fail: { times: 1, kind: "terminal" } });
const fixtures = (...responses: MockResponse[]): MockFixture => ({ responses });
const reject = () => "reject" as const;
const all = (ids: string[], status: StepStatus): Statuses => Object.fromEntries(ids.map((id) => [id, status]));
/** What a step run recorded as its input (its log's input.json): the rendered prompt or message. */
const inputOf = (r: TemplateRun, key: string) =>
  JSON.parse(readFileSync(join(stepLogDir(r.env.dir, r.run.id, key), "input.json"), "utf8")) as JsonObject;
/** An approval step's rendered message. */
const messageOf = (r: TemplateRun, key: string) => String(inputOf(r, key).message);
/** An agent step's rendered prompt. */
const promptOf = (r: TemplateRun, key: string) => String(inputOf(r, key).prompt);

// ── answers that steer the branches ────────────────────────────────────────────────────────────────────────
const triage = (disposition: string): Json => ({
  disposition,
  severity: 4,
  priority: "P1",
  labels: ["checkout", "regression"],
  rationale: "Checkout fails for every cart with a gift card and a discount code.",
});
const bugReview = (verdict: string): Json => ({ verdict, blocking_issues: [], comments: "Root cause is convincing." });
const bugQa = (result: string): Json => ({
  result,
  tests_run: ["original repro"],
  regressions: [],
  notes: "Repro fixed.",
});
const featureReview = (verdict: string): Json => ({ verdict, blocking_issues: [], comments: "Looks good." });
const featureTest = (result: string): Json => ({
  result,
  criteria_checked: 5,
  defects: [],
  notes: "All criteria hold.",
});
const analysis = (recommendation: string): Json => ({
  risk: "medium",
  impact: "About 60 s of write unavailability.",
  rollback_plan: "Switch back to the blue environment.",
  success_criteria: ["Writes succeed on PostgreSQL 16"],
  recommendation,
  rationale: "The plan is sound.",
});
const checks = (status: string): Json => ({
  status,
  findings: [{ severity: "high", file: "src/webhooks/deliver.ts", issue: "SQL injection", fix: "Use parameters" }],
});
const peerReview = (verdict: string): Json => ({ verdict, blocking: [], suggestions: [] });
const releaseTest = (result: string): Json => ({ result, tests: ["smoke"], blockers: [] });
const staging = (status: string): Json => ({ status, checks: ["error rate"], issues: [] });
const plan = (planned_points: number): Json => ({
  sprint_goal: "Pay with Apple Pay on mobile",
  committed_items: ["CHK-311", "CHK-290"],
  planned_points,
  stretch_items: [],
  risks: [],
});
const storyReview = (verdict: string): Json => ({ verdict, problems: [] });
const debt = (recommendation: string): Json => ({
  ranked: [{ name: "OrderService god class", impact: 5, effort: 3, risk_of_waiting: 4 }],
  recommendation,
  rationale: "It slows every change.",
});
const risk = (release_blocked: boolean): Json => ({
  release_blocked,
  blocking_findings: release_blocked ? ["IDOR on /results/:id"] : [],
  fix_before_release: [],
  fix_after_release: [],
  compensating_controls: ["WAF rule"],
});
const bench = (verdict: string): Json => ({
  verdict,
  p95_before_ms: 1400,
  p95_after_ms: 240,
  target_met: true,
  notes: "Stable over 3 runs.",
});

// ── the templates ──────────────────────────────────────────────────────────────────────────────────────────
const templates: Template[] = [
  {
    slug: "bug-lifecycle",
    name: "Bug Lifecycle",
    count: 7,
    expected: (out) => {
      const fixing = out("triage").disposition === "fix";
      const reviewed = fixing && out("code-review").verdict === "approved";
      const passed = reviewed && out("qa-test").result === "pass";
      return {
        report: C,
        triage: C,
        ...all(["assign", "fix", "code-review"], fixing ? C : S),
        "qa-test": reviewed ? C : S,
        "deploy-close": passed || !fixing ? C : S,
      };
    },
    mainPath: [
      say("triage-agent", triage("fix")),
      say("reviewer", bugReview("approved")),
      say("qa-engineer", bugQa("pass")),
    ],
    branches: [
      {
        name: "a duplicate is closed without a fix",
        fixtures: fixtures(say("triage-agent", triage("duplicate"))),
        status: "completed",
        steps: { triage: C, ...all(["assign", "fix", "code-review", "qa-test"], S), "deploy-close": C },
        check: (r) => expect(messageOf(r, "deploy-close")).toMatch(/without a fix as duplicate/),
      },
      {
        name: "requested changes leave the ticket open",
        fixtures: fixtures(say("triage-agent", triage("fix")), say("reviewer", bugReview("changes_requested"))),
        status: "completed",
        steps: { fix: C, "code-review": C, "qa-test": S, "deploy-close": S },
      },
      {
        name: "a QA failure holds the deploy",
        fixtures: fixtures(
          say("triage-agent", triage("fix")),
          say("reviewer", bugReview("approved")),
          say("qa-engineer", bugQa("fail")),
        ),
        status: "completed",
        steps: { "qa-test": C, "deploy-close": S },
      },
      {
        name: "a rejected deploy fails the run",
        fixtures: fixtures(
          say("triage-agent", triage("fix")),
          say("reviewer", bugReview("approved")),
          say("qa-engineer", bugQa("pass")),
        ),
        decide: reject,
        status: "failed",
        steps: { "qa-test": C, "deploy-close": F },
        check: (r) => expect(messageOf(r, "deploy-close")).toMatch(/^Deploy the fix for .*hotfix.*QA: Repro fixed\./),
      },
      {
        name: "a triage agent that fails fails the run",
        fixtures: fixtures(breaks("triage-agent")),
        status: "failed",
        steps: { report: C, triage: F, assign: S, "deploy-close": S },
      },
    ],
  },
  {
    slug: "feature-development",
    name: "Feature Development",
    count: 6,
    expected: (out) => {
      const approved = out("review").verdict === "approved";
      const passed = approved && out("test").result === "pass";
      return {
        ...all(["story", "design", "implement", "review"], C),
        test: approved ? C : S,
        deploy: passed ? C : S,
      };
    },
    mainPath: [say("reviewer", featureReview("approved")), say("qa-engineer", featureTest("pass"))],
    branches: [
      {
        name: "requested changes stop before testing",
        fixtures: fixtures(say("reviewer", featureReview("changes_requested"))),
        status: "completed",
        steps: { review: C, test: S, deploy: S },
      },
      {
        name: "failed tests hold the deploy",
        fixtures: fixtures(say("reviewer", featureReview("approved")), say("qa-engineer", featureTest("fail"))),
        status: "completed",
        steps: { test: C, deploy: S },
      },
      {
        name: "a rejected rollout fails the run",
        fixtures: fixtures(say("reviewer", featureReview("approved")), say("qa-engineer", featureTest("pass"))),
        decide: reject,
        status: "failed",
        steps: { test: C, deploy: F },
      },
    ],
  },
  {
    slug: "change-request",
    name: "Change Request",
    count: 5,
    expected: (out) => {
      const proceed = out("analysis").recommendation === "proceed";
      return { request: C, analysis: C, ...all(["approval", "implement", "verify"], proceed ? C : S) };
    },
    mainPath: [say("change-analyst", analysis("proceed"))],
    branches: [
      {
        name: "an analysis that recommends rejection ends it before the CAB",
        fixtures: fixtures(say("change-analyst", analysis("reject"))),
        status: "completed",
        steps: { analysis: C, ...all(["approval", "implement", "verify"], S) },
      },
      {
        name: "a CAB rejection fails the run",
        fixtures: fixtures(say("change-analyst", analysis("proceed"))),
        decide: reject,
        status: "failed",
        steps: { approval: F, implement: S, verify: S },
      },
      {
        name: "a failed implementation is verified for its rollback (on_failure)",
        fixtures: fixtures(say("change-analyst", analysis("proceed")), breaks("change-implementer")),
        status: "completed",
        steps: { approval: C, implement: F, verify: C },
        check: (r) =>
          expect(promptOf(r, "verify")).toMatch(
            /^Verify the change .*\. The implementation failed: mock: agent "change-implementer" failed/,
          ),
      },
    ],
  },
  {
    slug: "code-review",
    name: "Code Review",
    count: 5,
    expected: (out) => {
      const fixing = out("peer-review").verdict === "request_changes" || out("automated-checks").status === "fail";
      return { ...all(["submission", "automated-checks", "peer-review"], C), fixes: fixing ? C : S, approval: C };
    },
    mainPath: [say("static-analyzer", checks("fail")), say("reviewer", peerReview("request_changes"))],
    branches: [
      {
        name: "a clean pull request needs no fixes",
        fixtures: fixtures(say("static-analyzer", checks("pass")), say("reviewer", peerReview("approve"))),
        status: "completed",
        steps: { "peer-review": C, fixes: S, approval: C },
        check: (r) => expect(messageOf(r, "approval")).toMatch(/no fixes were needed/),
      },
      {
        name: "failed automated checks alone call for fixes",
        fixtures: fixtures(say("static-analyzer", checks("fail")), say("reviewer", peerReview("approve"))),
        status: "completed",
        steps: { fixes: C, approval: C },
        check: (r) => expect(messageOf(r, "approval")).toMatch(/issue\(s\) fixed/),
      },
      {
        // weft counts an `on: always` edge (approval ← fixes) as handling the failure: the run completes.
        name: "fixes that fail skip the merge approval",
        fixtures: fixtures(say("reviewer", peerReview("request_changes")), breaks("developer")),
        status: "completed",
        steps: { fixes: F, approval: S },
      },
      {
        name: "a rejected merge fails the run",
        fixtures: fixtures(say("static-analyzer", checks("pass")), say("reviewer", peerReview("approve"))),
        decide: reject,
        status: "failed",
        steps: { approval: F },
      },
    ],
  },
  {
    slug: "release-management",
    name: "Release Management",
    count: 6,
    expected: (out) => {
      const tested = out("test").result === "pass";
      const healthy = tested && out("staging").status === "healthy";
      return {
        ...all(["plan", "build", "test"], C),
        staging: tested ? C : S,
        ...all(["production", "monitoring"], healthy ? C : S),
      };
    },
    mainPath: [say("qa-engineer", releaseTest("pass")), say("release-engineer", staging("healthy"))],
    branches: [
      {
        name: "failed release tests hold the release",
        fixtures: fixtures(say("qa-engineer", releaseTest("fail"))),
        status: "completed",
        steps: { test: C, ...all(["staging", "production", "monitoring"], S) },
      },
      {
        name: "a degraded staging holds production",
        fixtures: fixtures(say("qa-engineer", releaseTest("pass")), say("release-engineer", staging("degraded"))),
        status: "completed",
        steps: { staging: C, production: S, monitoring: S },
      },
      {
        name: "a rejected production rollout fails the run",
        fixtures: fixtures(say("qa-engineer", releaseTest("pass")), say("release-engineer", staging("healthy"))),
        decide: reject,
        status: "failed",
        steps: { staging: C, production: F, monitoring: S },
      },
    ],
  },
  {
    slug: "sprint-planning",
    name: "Sprint Planning",
    count: 4,
    expected: () => all(["backlog-refinement", "capacity", "sprint-plan", "commitment"], C),
    mainPath: [],
    branches: [
      {
        name: "the team does not commit: the run fails",
        decide: reject,
        status: "failed",
        steps: { "sprint-plan": C, commitment: F },
      },
      {
        name: "a plan over capacity is flagged to the team",
        fixtures: fixtures(
          say(
            "scrum-master",
            { available_days: 38, capacity_points: 30, calculation: "38 of 46 days" },
            "^Work out the capacity",
          ),
          say("scrum-master", plan(41), "Propose the plan"),
        ),
        status: "completed",
        steps: { commitment: C },
        check: (r) =>
          expect(messageOf(r, "commitment")).toMatch(
            /41\s+points planned against a capacity of 30\.\s+The plan is OVER/,
          ),
      },
    ],
  },
  {
    slug: "user-story-generation",
    name: "User Story Generation",
    count: 3,
    expected: (out) => ({ draft: C, review: C, refine: out("review").verdict === "needs_refinement" ? C : S }),
    mainPath: [say("business-analyst", storyReview("needs_refinement"))],
    branches: [
      {
        name: "ready stories need no refinement",
        fixtures: fixtures(say("business-analyst", storyReview("ready"))),
        status: "completed",
        steps: { review: C, refine: S },
      },
    ],
  },
  {
    slug: "technical-debt-review",
    name: "Technical Debt Review",
    count: 4,
    expected: (out) => {
      const remediate = out("assess").recommendation === "remediate";
      return { inventory: C, assess: C, ...all(["remediation-plan", "sign-off"], remediate ? C : S) };
    },
    mainPath: [say("architect", debt("remediate"))],
    branches: [
      {
        name: "debt accepted on purpose needs no plan",
        fixtures: fixtures(say("architect", debt("accept"))),
        status: "completed",
        steps: { assess: C, "remediation-plan": S, "sign-off": S },
      },
      {
        name: "an unfunded plan fails the run",
        fixtures: fixtures(say("architect", debt("remediate"))),
        decide: reject,
        status: "failed",
        steps: { "remediation-plan": C, "sign-off": F },
      },
    ],
  },
  {
    slug: "security-audit",
    name: "Security Audit",
    count: 5,
    expected: (out) => ({
      ...all(["scope", "scan", "risk-assessment"], C),
      exception: out("risk-assessment").release_blocked === true ? C : S,
      report: C,
    }),
    mainPath: [say("security-lead", risk(true))],
    branches: [
      {
        name: "nothing blocking: no exception is asked for",
        fixtures: fixtures(say("security-lead", risk(false))),
        status: "completed",
        steps: { exception: S, report: C },
        check: (r) => expect(promptOf(r, "report")).toMatch(/Release decision: not blocked/),
      },
      {
        name: "a refused exception is reported as a blocked release",
        fixtures: fixtures(say("security-lead", risk(true))),
        decide: reject,
        status: "completed",
        steps: { exception: F, report: C },
        check: (r) =>
          expect(promptOf(r, "report")).toMatch(/Release decision: BLOCKED — the security exception was refused/),
      },
    ],
  },
  {
    slug: "performance-optimization",
    name: "Performance Optimization",
    count: 4,
    expected: (out) => ({
      ...all(["profile", "optimize", "benchmark"], C),
      rollout: out("benchmark").verdict === "improved" ? C : S,
    }),
    mainPath: [say("performance-engineer", bench("improved"), "^Benchmark")],
    branches: [
      {
        name: "a regression is not shipped",
        fixtures: fixtures(say("performance-engineer", bench("regressed"), "^Benchmark")),
        status: "completed",
        steps: { benchmark: C, rollout: S },
      },
      {
        name: "a rejected rollout fails the run",
        fixtures: fixtures(say("performance-engineer", bench("improved"), "^Benchmark")),
        decide: reject,
        status: "failed",
        steps: { benchmark: C, rollout: F },
      },
    ],
  },
];

const fileOf = (slug: string) => `${repoRoot}/templates/sdlc/${slug}.yaml`;

function statuses(r: TemplateRun): Statuses {
  return Object.fromEntries([...r.steps.values()].map((s) => [s.key, s.status]));
}

for (const t of templates) {
  describe(t.name, () => {
    it(`validates without a warning and has the seed's ${t.count} steps`, async () => {
      const { workflow, issues } = await loadTemplate(fileOf(t.slug));
      expect(issues).toEqual([]);
      expect(workflow.steps).toHaveLength(t.count);
      expect(workflow).toMatchObject({ name: t.name, category: "sdlc", version: "1.0" });
      expect(workflow.description?.length).toBeGreaterThan(40);
      expect(workflow.tags.length).toBeGreaterThan(0);
      for (const step of workflow.steps) expect(workflow.phases).toContain(step.phase);
      const props = (workflow.argsSchema?.properties ?? {}) as Record<string, JsonObject>;
      expect(Object.keys(props).length).toBeGreaterThan(0);
      for (const [name, prop] of Object.entries(props)) {
        expect(prop.description, `${name}.description`).toBeTypeOf("string");
        expect(prop.default, `${name}.default`).toBeDefined();
      }
      for (const step of workflow.steps.filter((s) => s.type === "agent")) {
        expect(String(step.config.system).length, `${step.id}.system`).toBeGreaterThan(200);
      }
    });

    it("runs to the end with no arguments and every approval approved", async () => {
      await withTemplateRun(fileOf(t.slug), {}, (r) => {
        expect(r.run.status).toBe("completed");
        const out: Out = (id) => (r.steps.get(id)?.output ?? {}) as JsonObject;
        expect(statuses(r)).toEqual(t.expected(out));
      });
    });

    if (t.mainPath.length > 0) {
      it("takes every step on the main path", async () => {
        await withTemplateRun(fileOf(t.slug), { fixtures: fixtures(...t.mainPath) }, (r) => {
          expect(r.run.status).toBe("completed");
          expect(statuses(r)).toEqual(all([...r.steps.keys()], C));
          expect(r.steps.size).toBe(t.count);
        });
      });
    }

    for (const b of t.branches) {
      it(b.name, async () => {
        const o = { ...(b.fixtures ? { fixtures: b.fixtures } : {}), ...(b.decide ? { decide: b.decide } : {}) };
        await withTemplateRun(fileOf(t.slug), o, (r) => {
          expect(r.run.status).toBe(b.status);
          expect(statuses(r)).toMatchObject(b.steps);
          b.check?.(r);
        });
      });
    }
  });
}
