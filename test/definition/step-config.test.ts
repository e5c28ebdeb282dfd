import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseYaml, where } from "./helpers.js";

const stepTypes = new Map<string, { configSchema: z.ZodType<unknown> }>([
  ["script", { configSchema: z.strictObject({ command: z.string(), cwd: z.string().optional() }) }],
  [
    "agent",
    {
      configSchema: z.strictObject({
        agent: z.string(),
        prompt: z.string(),
        inputs: z.record(z.string(), z.string()).optional(),
      }),
    },
  ],
  ["noop", { configSchema: z.object({}) }],
]);

describe("step configs are checked by their step type's configSchema", () => {
  it("reports zod issues at the offending key", () => {
    const { workflow, issues } = parseYaml(
      [
        "name: c",
        "steps:",
        "  - id: a",
        "    command: 42",
        "  - id: b",
        "    agent: x",
        "    prompt: hello",
        "    inputs:",
        "      n: 5",
        "  - id: c",
        "    agent: y",
        "  - id: d",
        "    type: scirpt",
        "  - id: e",
        "    command: ok",
        "    cwdd: there",
      ].join("\n"),
      { stepTypes },
    );
    expect(workflow).toBeUndefined();
    expect(where(issues)).toEqual([
      "4:14 WEFT_STEP_CONFIG",
      "9:10 WEFT_STEP_CONFIG",
      "10:5 WEFT_STEP_CONFIG",
      "13:11 WEFT_UNKNOWN_STEP_TYPE",
      "16:5 WEFT_STEP_CONFIG",
    ]);
    expect(issues[0]?.message).toMatch(/^step `a` \(script\): `command`: /);
    expect(issues[2]?.message).toMatch(/^step `c` \(agent\): `prompt`: /);
    expect(issues[3]?.message).toBe("step `d` has type `scirpt`, which no registered step type provides");
    expect(issues[3]?.hint).toBe("did you mean `script`?");
    expect(issues[4]?.message).toBe("step `e`: `cwdd` is not a setting of `script` steps");
  });

  it("valid configs pass; without a registry a near-miss type is a warning", () => {
    const ok = parseYaml("name: ok\nsteps: [{ id: a, command: x }, { id: b, type: noop }]\n", { stepTypes });
    expect(ok.issues).toEqual([]);
    const plugin = parseYaml("name: p\nsteps: [{ id: a, type: scirpt }, { id: b, type: my-plugin }]\n");
    expect(plugin.workflow).toBeDefined();
    expect(where(plugin.issues)).toEqual(["2:24 WEFT_UNKNOWN_STEP_TYPE"]);
    expect(plugin.issues[0]?.severity).toBe("warning");
  });
});
