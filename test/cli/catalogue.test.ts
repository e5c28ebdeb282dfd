/**
 * `weft list --workflows` (src/cli/catalogue.ts) on a store with many runs: the rows and their stats come from
 * one pass over the runs, so a definition launched tens of thousands of times lists in milliseconds.
 */
import { describe, expect, it } from "vitest";
import { workflowCatalogue } from "../../src/cli/catalogue.js";
import type { RunRecord, Workflow } from "../../src/core/model.js";
import type { DefinitionRecord, Store } from "../../src/store/store.js";

const RUNS = 50_000;

describe("weft list --workflows: the catalogue", () => {
  it("counts 50 000 runs of one definition, and runs of a file elsewhere, in one pass", async () => {
    const workflow = { name: "busy", steps: [{ id: "a" }] } as unknown as Workflow;
    const def = { id: "d1", system: false, workflow, format: "yaml" } as unknown as DefinitionRecord;
    const other = {
      name: "loose",
      steps: [{ id: "a" }, { id: "b" }],
      source: { format: "yaml", file: "/elsewhere/loose.yaml" },
    } as unknown as Workflow;
    const run = (i: number, definitionId: string | null, definition: Workflow) =>
      ({
        id: `r${i}`,
        definitionId,
        status: i % 4 === 0 ? "failed" : "completed",
        startedAt: 0,
        endedAt: 10,
        definition,
        workflowName: definition.name,
      }) as unknown as RunRecord;
    const runs = Array.from({ length: RUNS }, (_, i) => run(i, "d1", workflow));
    runs.push(run(RUNS, null, other), run(RUNS + 1, null, other));
    const store = {
      definitions: { list: async () => [def] },
      runs: { list: async () => runs },
    } as unknown as Store;
    const started = Date.now();
    const { rows, problems } = await workflowCatalogue({ store, folders: [], stepTypes: new Map() });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(problems).toEqual([]);
    expect(rows.map((r) => [r.name, r.origin, r.executions, r.step_count])).toEqual([
      ["busy", "api", RUNS, 1],
      ["loose", "run", 2, 2],
    ]);
    expect(rows[0]?.success_rate).toBe(0.75);
  }, 20_000);
});
