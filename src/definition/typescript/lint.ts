/**
 * A determinism lint for `execute`: its code runs again on every replay, so a clock, a random number or a
 * network call read there outside a step can differ from the first run and send the replay down another path.
 * Warnings only (WEFT_NON_DETERMINISM): the code may use the value harmlessly (a log line). Code inside a
 * step's `fn` runs once per attempt and is journaled, so it is not checked.
 */
import type { Node } from "@babel/types";
import type { Issue } from "../../core/errors.js";
import {
  type CtxBinding,
  childNodes,
  ctxBinding,
  ctxMethod,
  type FunctionNode,
  isCtx,
  keyName,
  locOf,
  unwrap,
  type WorkflowAst,
} from "./ast.js";

interface Rule {
  what: string;
  hint: string;
}

const IN_STEP = "do it inside a step (`ctx.step(id, { fn: () => … })`): its result is then journaled";

/** `object.method()` calls that differ between runs. */
const MEMBER_CALLS: Readonly<Record<string, Rule>> = {
  "Date.now": { what: "`Date.now()`", hint: "use ctx.now(), which is recorded and replayed" },
  "Math.random": { what: "`Math.random()`", hint: "use ctx.random(), which is recorded and replayed" },
  "crypto.randomUUID": { what: "`crypto.randomUUID()`", hint: IN_STEP },
  "crypto.getRandomValues": { what: "`crypto.getRandomValues()`", hint: "use ctx.random(), or do it inside a step" },
  "performance.now": { what: "`performance.now()`", hint: "use ctx.now(), which is recorded and replayed" },
};

const FETCH: Rule = { what: "`fetch(…)`", hint: IN_STEP };
const NEW_DATE: Rule = { what: "`new Date()`", hint: "use new Date(ctx.now()), which is recorded and replayed" };
const DATE_CALL: Rule = { what: "`Date()`", hint: "use new Date(ctx.now()), which is recorded and replayed" };

/** WEFT_NON_DETERMINISM warnings for `execute` (and the module's helpers it hands the context to). */
export function lintDeterminism(wf: WorkflowAst): Issue[] {
  if (!wf.execute || !wf.ctx) return [];
  const issues: Issue[] = [];
  const seen = new Set<FunctionNode>([wf.execute]);
  const warn = (node: Node, rule: Rule) =>
    issues.push({
      code: "WEFT_NON_DETERMINISM",
      severity: "warning",
      message: `${rule.what} in \`execute\` outside a step: it runs again on every replay and may return something else then`,
      hint: rule.hint,
      location: locOf(node, wf.file),
    });

  const visit = (node: Node, ctx: CtxBinding): void => {
    if (node.type === "CallExpression" || node.type === "OptionalCallExpression") {
      const callee = unwrap(node.callee);
      const rule = callRule(callee);
      if (rule) warn(node, rule);
      const method = ctxMethod(callee, ctx);
      if (method === "step") {
        // The config's `fn` runs inside the step: skip it, check everything else.
        visit(callee, ctx);
        for (const arg of node.arguments) visitStepArgument(arg, ctx);
        return;
      }
      if (callee.type === "Identifier") {
        const helper = wf.functions.get(callee.name);
        const index = node.arguments.findIndex((a) => isCtx(a, ctx));
        const binding = helper && index >= 0 ? ctxBinding(helper, index) : undefined;
        if (helper && binding && !seen.has(helper)) {
          seen.add(helper);
          visit(helper.body, binding);
        }
      }
    } else if (node.type === "NewExpression") {
      const callee = unwrap(node.callee);
      if (callee.type === "Identifier" && callee.name === "Date" && node.arguments.length === 0) warn(node, NEW_DATE);
    }
    for (const child of childNodes(node)) visit(child, ctx);
  };

  const visitStepArgument = (arg: Node, ctx: CtxBinding): void => {
    const a = unwrap(arg);
    if (a.type !== "ObjectExpression") {
      visit(a, ctx);
      return;
    }
    for (const prop of a.properties) {
      if (keyName(prop) === "fn") continue;
      visit(prop, ctx);
    }
  };

  visit(wf.execute.body, wf.ctx);
  return issues.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
}

function callRule(callee: Node): Rule | undefined {
  if (callee.type === "Identifier") {
    if (callee.name === "fetch") return FETCH;
    if (callee.name === "Date") return DATE_CALL;
    return undefined;
  }
  if (callee.type !== "MemberExpression" && callee.type !== "OptionalMemberExpression") return undefined;
  const prop = callee.property.type === "Identifier" && !callee.computed ? callee.property.name : undefined;
  if (prop === undefined) return undefined;
  let obj = unwrap(callee.object);
  // globalThis.crypto.randomUUID(), window.fetch(…)
  if (
    (obj.type === "MemberExpression" || obj.type === "OptionalMemberExpression") &&
    unwrap(obj.object).type === "Identifier" &&
    ["globalThis", "window", "self", "global"].includes((unwrap(obj.object) as { name: string }).name) &&
    obj.property.type === "Identifier"
  ) {
    obj = obj.property;
  }
  if (obj.type !== "Identifier") return undefined;
  if (prop === "fetch" && ["globalThis", "window", "self", "global"].includes(obj.name)) return FETCH;
  return MEMBER_CALLS[`${obj.name}.${prop}`];
}
