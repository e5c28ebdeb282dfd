/** The template harness itself, on the approval example: approve runs to the end, reject fails the run. */
import { describe, expect, it } from "vitest";
import { repoRoot } from "../cli/helpers.js";
import { withTemplateRun } from "./harness.js";

const file = `${repoRoot}/examples/approval.yaml`;

describe("template harness", () => {
  it("approves approval steps as they come up", async () => {
    await withTemplateRun(file, {}, ({ run, decided }) => {
      expect(run.status).toBe("completed");
      expect(decided.length).toBeGreaterThan(0);
    });
  });
  it("rejects when told to: the on_failure path runs instead of the release", async () => {
    await withTemplateRun(file, { decide: () => "reject" }, ({ steps }) => {
      expect(steps.get("sign-off")?.status).toBe("failed");
      expect(steps.get("notify-rejected")?.status).toBe("completed");
      expect(steps.get("release")?.status).toBe("skipped");
    });
  });
});
