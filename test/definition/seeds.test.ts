import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY } from "../../src/core/model.js";
import { errorsOf, fixtureDir, mustParse, parseFile, parseYaml, seedDir, withoutSource } from "./helpers.js";

describe("seed dialect examples", () => {
  it("seed 003 code-review-workflow.yaml: DAG from dependencies, retries from config and retryPolicy", () => {
    const result = parseFile(path.join(seedDir, "code-review-workflow.yaml"));
    expect(result.issues).toEqual([]);
    const wf = mustParse(result);
    expect(wf.source?.dialect).toBe("seed-003");
    expect(wf.name).toBe("code-review-workflow");
    expect(wf.version).toBe("1.0.0");
    expect(wf.author).toBe("AutomatosX Team");
    expect(wf.tags).toEqual(["code-review", "quality", "security"]);
    expect(wf.timeoutMs).toBe(300_000);
    expect(wf.parallelism).toBe(3);
    expect(wf.phases).toEqual([]);
    expect(wf.steps.map((s) => s.id)).toEqual(["parse-changes", "security-scan", "quality-check", "generate-report"]);
    const by = Object.fromEntries(wf.steps.map((s) => [s.id, s]));
    expect(by["parse-changes"]?.needs).toEqual([]);
    expect(by["security-scan"]?.needs).toEqual([{ step: "parse-changes", on: "success" }]);
    expect(by["quality-check"]?.needs).toEqual([{ step: "parse-changes", on: "success" }]);
    expect(by["generate-report"]?.needs).toEqual([
      { step: "security-scan", on: "success" },
      { step: "quality-check", on: "success" },
    ]);
    // config.maxRetries: 2 → 3 attempts for every step; retryPolicy.maxRetries: 3 → 4 attempts.
    expect(by["parse-changes"]?.retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 3 });
    expect(by["security-scan"]?.retry).toEqual({
      ...DEFAULT_RETRY,
      maxAttempts: 4,
      initialDelayMs: 1000,
      backoffMultiplier: 2,
    });
    for (const s of wf.steps) {
      expect(s.optional).toBe(false);
      expect(s.type).toBe("agent");
      expect(s.name).toBe(s.id);
      expect(Object.keys(s.config).sort()).toEqual(["agent", "prompt"]);
    }
    expect(by["security-scan"]?.config).toEqual({
      agent: "security",
      prompt: "Scan {{parse-changes.functions}} for security vulnerabilities",
    });
    expect(by["security-scan"]?.location).toMatchObject({ line: 25, column: 5 });
  });

  it("seed 002 simple-pipeline.yaml: file order, phases, argsSchema", () => {
    const result = parseFile(path.join(seedDir, "simple-pipeline.yaml"));
    expect(result.issues).toEqual([]);
    const wf = mustParse(result);
    expect(wf.source?.dialect).toBe("seed-002");
    expect(wf.name).toBe("Simple Build Pipeline");
    expect(wf.phases).toEqual(["build", "test", "deploy"]);
    expect(wf.argsSchema).toMatchObject({ required: ["environment"] });
    expect(wf.steps.map((s) => [s.id, s.name, s.type, s.phase])).toEqual([
      ["install-deps", "Install Dependencies", "script", "build"],
      ["build-app", "Build Application", "script", "build"],
      ["run-tests", "Run Tests", "script", "test"],
      ["deploy", "Deploy", "script", "deploy"],
    ]);
    expect(wf.steps.map((s) => s.needs)).toEqual([
      [],
      [{ step: "install-deps", on: "success" }],
      [{ step: "build-app", on: "success" }],
      [{ step: "run-tests", on: "success" }],
    ]);
    for (const s of wf.steps) {
      expect(s.retry).toEqual(DEFAULT_RETRY);
      expect(s.optional).toBe(false);
    }
    expect(wf.steps[3]?.config).toEqual({ command: "pnpm deploy --env {{ args.environment }}" });
  });

  it("seed 001 bug-lifecycle-excerpt.yaml fails, naming notify_team at line 15", () => {
    const result = parseFile(path.join(seedDir, "bug-lifecycle-excerpt.yaml"));
    expect(result.workflow).toBeUndefined();
    const errors = errorsOf(result.issues);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: "WEFT_UNKNOWN_REF",
      message: "step `triage` has on_failure: `notify_team`, but no step has that id",
      location: { line: 15, column: 19 },
    });
    expect(errors[0]?.location.file).toMatch(/bug-lifecycle-excerpt\.yaml$/);
    expect(errors[0]?.hint).toContain("triage, assign, fix");
  });

  it("seed 001 with the missing step added: on_success/on_failure edges, condition → if", () => {
    const text = `workflow:
  name: "Bug Lifecycle"
  version: 1.0
  steps:
    - id: "triage"
      agent: "bug-triage-agent"
      inputs:
        bug_description: "{{input.bug_description}}"
      on_success: "assign"
      on_failure: "notify_team"
    - id: "assign"
      agent: "project-manager"
      inputs:
        bug_info: "{{steps.triage.output}}"
      condition: "{{steps.triage.output.severity}} > 3"
      on_success: "fix"
    - id: "fix"
      agent: "coding-agent"
    - id: notify_team
      agent: notifier
`;
    const wf = mustParse(parseYaml(text));
    expect(wf.source?.dialect).toBe("seed-001");
    expect(wf.name).toBe("Bug Lifecycle");
    expect(wf.version).toBe("1.0");
    const by = Object.fromEntries(wf.steps.map((s) => [s.id, s]));
    expect(by.triage?.needs).toEqual([]);
    expect(by.assign?.needs).toEqual([{ step: "triage", on: "success" }]);
    expect(by.fix?.needs).toEqual([{ step: "assign", on: "success" }]);
    expect(by.notify_team?.needs).toEqual([{ step: "triage", on: "failure" }]);
    expect(by.assign?.if).toBe("{{steps.triage.output.severity}} > 3");
    expect(by.triage?.config).toEqual({
      agent: "bug-triage-agent",
      inputs: { bug_description: "{{input.bug_description}}" },
    });
  });
});

describe("dialects normalise to one model", () => {
  it("code-review in canonical and seed-003 dialects are equal", () => {
    const seed = mustParse(parseFile(path.join(seedDir, "code-review-workflow.yaml")));
    const canonical = mustParse(parseFile(path.join(fixtureDir, "canonical/code-review.yaml")));
    expect(canonical.source?.dialect).toBe("canonical");
    expect(withoutSource(canonical)).toEqual(withoutSource(seed));
  });

  it("nightly in canonical and seed-003 dialects are equal (timeoutMs, continueOnError, retryableErrors)", () => {
    const seed = mustParse(parseFile(path.join(fixtureDir, "seed-003/nightly.yaml")));
    const canonical = mustParse(parseFile(path.join(fixtureDir, "canonical/nightly.yaml")));
    expect(seed.source?.dialect).toBe("seed-003");
    expect(withoutSource(canonical)).toEqual(withoutSource(seed));
    const fetch = seed.steps[0];
    expect(fetch?.retry).toEqual({
      ...DEFAULT_RETRY,
      maxAttempts: 5,
      initialDelayMs: 500,
      backoffMultiplier: 3,
      retryOn: ["WEFT_PROVIDER", "WEFT_TIMEOUT"],
    });
    expect(fetch?.timeoutMs).toBe(120_000);
    expect(fetch?.optional).toBe(true);
    expect(seed.steps[1]?.optional).toBe(false);
    expect(seed.steps[1]?.retry.maxAttempts).toBe(2);
    expect(seed.timeoutMs).toBe(3_600_000);
  });

  it("on an approval step, timeout is the decision deadline (config), and defaults.timeout does not apply", () => {
    const wf = mustParse(parseFile(path.join(fixtureDir, "canonical/full.yaml")));
    const by = Object.fromEntries(wf.steps.map((s) => [s.id, s]));
    expect(by.review?.timeoutMs).toBeUndefined();
    expect(by.review?.config).toEqual({
      message: "Approve {{ length(steps.draft.output) }} drafts?",
      timeout: "2h",
      onTimeout: "reject",
    });
    expect(by.draft?.timeoutMs).toBe(600_000);
    expect(by.research?.timeoutMs).toBe(900_000);
  });
});
