/**
 * Type tests of the built-in step config types, checked by `tsc -p tsconfig.test.json` (never run): the types
 * are derived from the step types' zod config schemas (steps/builtin.ts), so every built-in type has one, every
 * setting its schema takes is typed, and no built-in name is left to plugins. Each `@ts-expect-error` must stay
 * an error.
 */
import type { z } from "zod";
import type {
  BuiltinStepConfig,
  BuiltinStepTypeName,
  TsAgentStepConfig,
  TsApprovalStepConfig,
  TsAttachStepConfig,
  TsBuiltinStepConfig,
  TsImageStepConfig,
  TsNamedFunctionStepConfig,
  TsNoopStepConfig,
  TsPluginStepConfig,
  TsScriptStepConfig,
  TsSleepStepConfig,
} from "../../../src/index.js";
import { defineWorkflow } from "../../../src/index.js";
import type { BuiltinConfigSchemas } from "../../../src/steps/builtin.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertEqual = <A, B>(_proof: Equal<A, B>): void => {};

// The names: the registry's, with image and attach.
assertEqual<BuiltinStepTypeName, "agent" | "script" | "approval" | "sleep" | "noop" | "function" | "image" | "attach">(
  true,
);
assertEqual<BuiltinStepTypeName, keyof BuiltinConfigSchemas>(true);
// Every built-in type has a member of TsBuiltinStepConfig.
assertEqual<Exclude<BuiltinStepTypeName, NonNullable<TsBuiltinStepConfig["type"]>>, never>(true);

/** Each type's TypeScript config, by name. */
interface TsConfigs {
  agent: TsAgentStepConfig;
  script: TsScriptStepConfig;
  approval: TsApprovalStepConfig;
  sleep: TsSleepStepConfig;
  noop: TsNoopStepConfig;
  function: TsNamedFunctionStepConfig;
  image: TsImageStepConfig;
  attach: TsAttachStepConfig;
}
// A config type for every built-in, and every setting of its schema on it (the union of sleep's members too).
assertEqual<keyof TsConfigs, BuiltinStepTypeName>(true);
type MissingSettings = {
  [K in BuiltinStepTypeName]: Exclude<keyof z.input<BuiltinConfigSchemas[K]>, keyof TsConfigs[K]>;
}[BuiltinStepTypeName];
assertEqual<MissingSettings, never>(true);
assertEqual<keyof BuiltinStepConfig<"script">, "command" | "cwd" | "env" | "shell" | "network">(true);

// A plugin cannot take a built-in's name.
// @ts-expect-error: image is a built-in type
export const pluginImage: TsPluginStepConfig<"image"> = { type: "image", agent: "a", prompt: "p" };
// @ts-expect-error: attach is a built-in type
export const pluginAttach: TsPluginStepConfig<"attach"> = { type: "attach", documents: "d", images: "i" };
export const plugin: TsPluginStepConfig<"slack-post"> = { type: "slack-post", channel: "#dev" };

export const configs = defineWorkflow({
  name: "configs",
  async execute(ctx) {
    // settings the schemas take
    await ctx.step("sandboxed", { command: "curl x", network: true });
    await ctx.step("with-context", {
      agent: "claude",
      prompt: "x",
      documents: "{{ args.docs }}",
      budget: { costUsd: 1, onExceed: "pause" },
    });
    await ctx.step("hero", { type: "image", agent: "artist", prompt: "a fox", count: 2, size: "16:9" });
    await ctx.step("link", { type: "attach", documents: ["d1"], images: "{{ steps.hero.output.image_ids }}" });
    await ctx.step("wait", { type: "approval", message: "ok?", timeout: "1h", onTimeout: "approve" });

    // @ts-expect-error: sleep needs a duration or until
    await ctx.step("no-sleep", { type: "sleep" });
    // @ts-expect-error: network is a boolean
    await ctx.step("bad-network", { command: "x", network: "yes" });
    // @ts-expect-error: an image step needs a prompt
    await ctx.step("no-prompt", { type: "image", agent: "artist" });
    // @ts-expect-error: count is a number or a template
    await ctx.step("bad-count", { type: "image", agent: "artist", prompt: "p", count: [2] });
    // @ts-expect-error: strategy is one-to-one, one-to-many or many-to-one
    await ctx.step("bad-strategy", { type: "attach", documents: "d", images: "i", strategy: "all" });
    // @ts-expect-error: a misspelt setting of attach
    await ctx.step("attach-typo", { type: "attach", documents: "d", image: "i" });
  },
});
