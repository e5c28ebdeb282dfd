import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../cli/helpers.js";
import { loadTemplate, withTemplateRun } from "./harness.js";

const dir = `${repoRoot}/templates/sdlc`;
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

describe("explore", () => {
  for (const f of files) {
    it(f, async () => {
      const { workflow, issues } = await loadTemplate(`${dir}/${f}`);
      console.log(f, workflow.steps.length, JSON.stringify(issues.map((i) => [i.severity, i.code, i.location.line, i.message])));
      await withTemplateRun(`${dir}/${f}`, {}, ({ run, steps }) => {
        console.log(f, run.status, JSON.stringify(run.error ?? null), [...steps.values()].map((s) => `${s.key}:${s.status}${s.error ? `(${s.error.message})` : ""}`).join(" "));
        for (const s of steps.values()) if (s.status === "completed") console.log("  ", s.key, JSON.stringify(s.output).slice(0, 300));
      });
    });
  }
});
