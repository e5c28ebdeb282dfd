/**
 * The data expressions see. Roots: `args` (aliases `input`, `context`), `steps.<id>.{output,status,error}`,
 * a step id directly (its output, seed 003), `run`, `workflow`, `item`/`index` inside foreach items, and bare
 * argument names (seed 003 context values). Only own properties of JSON data are reachable.
 */

import type { Scope } from "../core/expressions/index.js";
import type { Json, JsonObject } from "../core/json.js";
import { ownProp } from "../core/json.js";
import type { StepRunRecord } from "../core/model.js";
import type { RunState } from "./state.js";

export function runScope(state: RunState, item?: { item: Json; index: number }): Scope {
  const run = state.run;
  let stepsObj: JsonObject | undefined;
  const stepView = (rec: StepRunRecord): JsonObject => ({
    output: rec.output,
    status: rec.status,
    error: rec.error ? rec.error.message : null,
  });
  return (root: string): Json | undefined => {
    switch (root) {
      case "args":
      case "input":
      case "context":
        return run.args;
      case "steps":
        if (!stepsObj) {
          // No prototype: a step id can never alias Object.prototype members (ids are validated too).
          stepsObj = Object.create(null) as JsonObject;
          for (const id of state.byId.keys()) {
            const rec = state.steps.get(id);
            if (rec) stepsObj[id] = stepView(rec);
          }
        }
        return stepsObj;
      case "run":
        return { id: run.id, name: run.name, workflow: run.workflowName, priority: run.priority };
      case "workflow":
        return { name: run.workflowName, hash: run.workflowHash };
      case "item":
        return item ? item.item : undefined;
      case "index":
        return item ? item.index : undefined;
    }
    if (state.byId.has(root)) {
      const rec = state.steps.get(root);
      return rec ? rec.output : null;
    }
    return ownProp(run.args, root);
  };
}
