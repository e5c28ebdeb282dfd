/**
 * Seed 002's "Implement Feature" (research → plan → implement → test) as a template: the same steps, agents
 * and permissions, with structured answers the later steps read, a person's sign-off on the spec before any
 * code is written, and a code review whose verdict decides what happens next.
 *
 * - The spec is approved by a person (`approve-spec`); a rejection ends the run with the feedback recorded
 *   (`spec-rejected`) and no code written.
 * - `review-<n>` answers `approve` or `request-changes`. Changes are addressed (`address-review-<n>`) and
 *   reviewed again, up to `maxReviewRounds` times; when the reviewer still asks for changes after that, a
 *   person decides (`accept-open-review`) whether the tests run anyway or the run stops there.
 * - Tests and build run the project's own scripts with its package manager, and say so (instead of failing)
 *   when the project has no package.json.
 *
 * The `claude` agent is a CLI coding agent once configured (see docs/agents.md); until then the offline mock
 * answers, so the template runs anywhere.
 */
import { defineWorkflow, StepFailedError } from "weftflow";
import { z } from "zod";

const Research = z.object({
  summary: z.string().describe("How the codebase is organised where the feature will live"),
  relevantFiles: z.array(z.object({ path: z.string(), why: z.string() })).min(1),
  conventions: z.array(z.string()).describe("Patterns the change must follow (naming, errors, tests)"),
  risks: z.array(z.string()),
});

const Spec = z.object({
  title: z.string(),
  approach: z.string(),
  changes: z.array(z.object({ path: z.string(), change: z.string() })).min(1),
  testPlan: z.array(z.string()).min(1),
  outOfScope: z.array(z.string()),
});

const Implementation = z.object({
  summary: z.string(),
  filesChanged: z.array(z.string()).min(1),
  testsAdded: z.array(z.string()),
  followUps: z.array(z.string()),
});

const Review = z.object({
  verdict: z.enum(["approve", "request-changes"]),
  summary: z.string(),
  issues: z.array(
    z.object({
      severity: z.enum(["blocker", "major", "minor"]),
      path: z.string(),
      problem: z.string(),
      fix: z.string(),
    }),
  ),
});

const ENGINEER = `You are a senior software engineer working in an existing codebase. You read before you write: you
follow the conventions the code already has (naming, error handling, module layout, test style) instead of
your own, you make the smallest change that fully meets the requirements, and you leave the code as tidy as
you found it. You never weaken a test to make it pass, never commit secrets, and say plainly when a
requirement is ambiguous instead of guessing.`;

const REVIEWER = `You are a staff engineer doing code review. You review the change against its spec: does it do
what the spec says, is it correct at the edges (empty input, errors, concurrency), is it tested where it can
break, does it follow the codebase's conventions, and is it secure. You request changes only for problems that
matter — a bug, a missing test for real behaviour, a security or data-loss risk, a clear convention break —
and say for each where it is, what is wrong and how to fix it. Style preferences are minor, never blockers.`;

const json = (value: unknown) => JSON.stringify(value, null, 2);

export default defineWorkflow({
  name: "Implement Feature",
  description:
    "Research the codebase, write a spec a person approves, implement it, review the change (addressing " +
    "requested changes), then run the project's tests and build.",
  version: "1.0",
  category: "examples",
  tags: ["coding-agent", "feature", "code-review", "approval", "seed-002"],

  argsSchema: z.object({
    featureName: z.string().min(1).default("Dark mode toggle").describe("The feature, in a few words"),
    requirements: z
      .string()
      .default(
        "A toggle in the settings page switches between light and dark themes; the choice persists across " +
          "sessions and defaults to the operating system's preference.",
      )
      .describe("What the feature must do, as acceptance criteria"),
    packageManager: z
      .enum(["pnpm", "npm", "yarn"])
      .default("pnpm")
      .describe("Runs the project's `test` and `build` scripts"),
    maxReviewRounds: z
      .number()
      .int()
      .min(0)
      .max(3)
      .default(2)
      .describe("How many times requested changes are addressed before a person decides"),
  }),

  phases: ["research", "plan", "implement", "review", "test"],

  async execute(ctx) {
    const { featureName, requirements, packageManager, maxReviewRounds } = ctx.args;

    // Research phase: read-only.
    const research = await ctx.step("research-codebase", {
      phase: "research",
      type: "agent",
      agent: "claude",
      system: ENGINEER,
      prompt:
        `Research the codebase to understand how to implement: ${featureName}\n\n` +
        `Requirements: ${requirements}\n\n` +
        "Find where the feature belongs, the files it will touch, the conventions it must follow and what " +
        "could go wrong. Do not change anything yet.",
      permission: "plan",
      outputSchema: Research,
    });

    await ctx.checkpoint();

    // Plan phase: a spec, signed off by a person before any code is written.
    const spec = await ctx.step("create-spec", {
      phase: "plan",
      type: "agent",
      agent: "claude",
      system: ENGINEER,
      prompt:
        `Create a spec for implementing ${featureName}. Requirements: ${requirements}\n\n` +
        `What the research found:\n${json(research.data)}\n\n` +
        "Give the approach, every file to change and how, the test plan (one line per behaviour to test) and " +
        "what is out of scope.",
      permission: "acceptEdits",
      outputSchema: Spec,
    });
    const specData = spec.data;

    try {
      await ctx.waitForApproval({
        id: "approve-spec",
        message:
          `Spec for "${featureName}": ${specData?.title}\n${specData?.approach}\n` +
          `${specData?.changes.length ?? 0} file(s) to change, ${specData?.testPlan.length ?? 0} behaviour(s) to test. ` +
          "Approve to implement it; reject with a comment to stop here.",
        timeout: "2d",
      });
    } catch (err) {
      if (!(err instanceof StepFailedError)) throw err;
      await ctx.step("spec-rejected", {
        phase: "plan",
        type: "noop",
        output: { feature: featureName, spec: specData?.title ?? null, decision: err.error.message },
      });
      return { outcome: "spec-rejected", decision: err.error.message };
    }

    await ctx.checkpoint();

    // Implement phase.
    const implementation = await ctx.step("implement", {
      phase: "implement",
      type: "agent",
      agent: "claude",
      system: ENGINEER,
      prompt:
        `Implement the feature according to this approved spec:\n${json(specData)}\n\n` +
        "Write the tests of the test plan alongside the code. Report what you changed.",
      permission: "acceptEdits",
      outputSchema: Implementation,
    });

    await ctx.checkpoint();

    // Review phase: the verdict decides whether changes are addressed and reviewed again.
    const reviewChange = async (n: number) => {
      const result = await ctx.step(`review-${n}`, {
        phase: "review",
        type: "agent",
        agent: "reviewer",
        system: REVIEWER,
        prompt:
          `Review round ${n} of the change implementing "${featureName}".\n\n` +
          `The spec:\n${json(specData)}\n\nWhat the implementer reports:\n${json(implementation.data)}\n\n` +
          "Read the diff in the working tree. Answer `approve`, or `request-changes` with the issues.",
        permission: "plan",
        outputSchema: Review,
      });
      return result.data;
    };

    let round = 1;
    let review = await reviewChange(round);
    while (review?.verdict === "request-changes" && round <= maxReviewRounds) {
      await ctx.step(`address-review-${round}`, {
        phase: "review",
        type: "agent",
        agent: "claude",
        system: ENGINEER,
        prompt:
          `Address the code review of "${featureName}" (round ${round}):\n${json(review)}\n\n` +
          "Fix every blocker and major issue; fix minor ones when it is cheap. Say what you changed.",
        permission: "acceptEdits",
      });
      round += 1;
      review = await reviewChange(round);
    }
    if (review?.verdict === "request-changes") {
      try {
        await ctx.waitForApproval({
          id: "accept-open-review",
          message:
            `The reviewer still requests changes to "${featureName}" after ${round} round(s): ${review.summary}\n` +
            "Approve to run the tests and build anyway; reject to stop here and take it over by hand.",
          timeout: "2d",
        });
      } catch (err) {
        if (!(err instanceof StepFailedError)) throw err;
        await ctx.comment(`Stopped at code review: ${err.error.message}`);
        return { outcome: "stopped-at-review", reviewRounds: round, openIssues: review.issues.length };
      }
    }

    // Test phase: the project's own scripts. `packageManager` is one of the enum's values, so it is safe
    // to write into the command.
    await ctx.step("run-tests", {
      phase: "test",
      type: "script",
      command: `if [ -f package.json ]; then ${packageManager} test; else echo "no package.json in $PWD: no tests to run"; fi`,
      cwd: ctx.projectPath,
    });

    await ctx.step("build", {
      phase: "test",
      type: "script",
      command: `if [ -f package.json ]; then ${packageManager} run build; else echo "no package.json in $PWD: nothing to build"; fi`,
      cwd: ctx.projectPath,
    });

    await ctx.comment("Feature implementation complete!");
    return {
      outcome: "implemented",
      spec: specData?.title ?? null,
      filesChanged: implementation.data?.filesChanged ?? [],
      reviewRounds: round,
      reviewVerdict: review?.verdict ?? null,
    };
  },
});
