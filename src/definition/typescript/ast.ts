/**
 * The syntax tree of a workflow module (@babel/parser, loaded on first use): where `defineWorkflow({ … })` is
 * default-exported, its properties, and the `execute` function with the name(s) it gives the context.
 */
import type {
  ArrowFunctionExpression,
  Expression,
  File,
  FunctionDeclaration,
  FunctionExpression,
  Node,
  ObjectExpression,
  ObjectMethod,
  Statement,
} from "@babel/types";
import type { SourceLocation } from "../../core/errors.js";
import { weftflowSpecifier } from "./specifiers.js";

export type FunctionNode = FunctionDeclaration | FunctionExpression | ArrowFunctionExpression | ObjectMethod;

/** How `execute` (or a helper it calls) names the context: `ctx` itself, or destructured methods. */
export interface CtxBinding {
  /** The identifier bound to the whole context, if any. */
  name?: string | undefined;
  /** Local name → ctx method, for `({ step, sleep: nap })`. */
  methods: Map<string, string>;
}

export interface WorkflowAst {
  file: string;
  ast: File;
  /** The `export default …` statement (or the `export { x as default }` specifier). */
  exportNode?: Node | undefined;
  /** The object given to defineWorkflow. */
  object?: ObjectExpression | undefined;
  /** Each property of that object by name. */
  props: Map<string, Node>;
  execute?: FunctionNode | undefined;
  ctx?: CtxBinding | undefined;
  /** Top-level functions of the module, by name (helpers `execute` may call with the context). */
  functions: Map<string, FunctionNode>;
  /** Top-level `const` initialisers, by name (for ids such as `const BUILD = "build"`). */
  values: Map<string, Node>;
}

export type ParseOutcome = { ast: File } | { error: { message: string; location: SourceLocation } };

const TS_FILE = /\.[cm]?tsx?$/i;

/** Parses a module; TypeScript syntax for `.ts`/`.mts`/`.cts`/`.tsx` files. */
export async function parseModule(text: string, file: string): Promise<ParseOutcome> {
  const { parse } = await import("@babel/parser");
  try {
    const ast = parse(text, {
      sourceType: "module",
      sourceFilename: file,
      plugins: TS_FILE.test(file) ? (file.endsWith("x") ? ["typescript", "jsx"] : ["typescript"]) : ["jsx"],
      errorRecovery: true,
    });
    return { ast };
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    return {
      error: {
        message: e.message.replace(/\s*\(\d+:\d+\)$/, ""),
        location: { file, line: e.loc?.line ?? 1, column: (e.loc?.column ?? 0) + 1 },
      },
    };
  }
}

export function locOf(node: Node, file: string): SourceLocation {
  const start = node.loc?.start;
  return { file, line: start?.line ?? 1, column: (start?.column ?? 0) + 1 };
}

const SKIP_KEYS = new Set([
  "type",
  "loc",
  "start",
  "end",
  "range",
  "extra",
  "leadingComments",
  "trailingComments",
  "innerComments",
  "typeAnnotation",
  "returnType",
  "typeParameters",
  "typeArguments",
]);

/** The child nodes of `node`, in source order. */
export function childNodes(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) out.push(value);
  }
  return out.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
}

const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";

export const isFunction = (node: Node): node is FunctionNode =>
  node.type === "FunctionExpression" ||
  node.type === "ArrowFunctionExpression" ||
  node.type === "FunctionDeclaration" ||
  node.type === "ObjectMethod";

/** `(x as T)`, `x satisfies T`, `x!`, `(x)` → x. */
export function unwrap(node: Node): Node {
  let n = node;
  while (
    n.type === "TSAsExpression" ||
    n.type === "TSSatisfiesExpression" ||
    n.type === "TSNonNullExpression" ||
    n.type === "TSTypeAssertion" ||
    n.type === "ParenthesizedExpression"
  ) {
    n = n.expression;
  }
  return n;
}

/** A property key's name: `name`, `"name"`, `["name"]` with a literal. */
export function keyName(node: Node): string | undefined {
  if (node.type !== "ObjectProperty" && node.type !== "ObjectMethod") return undefined;
  const key = node.key;
  if (key.type === "Identifier" && !node.computed) return key.name;
  if (key.type === "StringLiteral") return key.value;
  return undefined;
}

/** A string the code spells out: a string literal or a template without `${}`. */
export function literalString(node: Node | undefined | null): string | undefined {
  if (!node) return undefined;
  const n = unwrap(node);
  if (n.type === "StringLiteral") return n.value;
  if (n.type === "TemplateLiteral" && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** How a template's substitutions are shown in drawn ids and settings: `review-${…}`. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template substitution, not a mistake
export const HOLE = "${…}";

/** A template's text with each substitution shown as HOLE. */
export function templateText(node: Node): string | undefined {
  const n = unwrap(node);
  if (n.type !== "TemplateLiteral") return undefined;
  return n.quasis.map((q, i) => (q.value.cooked ?? q.value.raw) + (i < n.expressions.length ? HOLE : "")).join("");
}

/**
 * Local names bound to `defineWorkflow` (imported from weftflow or an alias of it, maybe renamed) and to weftflow
 * namespaces.
 */
function defineNames(ast: File): { names: Set<string>; namespaces: Set<string> } {
  const names = new Set(["defineWorkflow"]);
  const namespaces = new Set<string>();
  for (const stmt of ast.program.body) {
    if (stmt.type !== "ImportDeclaration" || weftflowSpecifier(stmt.source.value) === undefined) continue;
    for (const spec of stmt.specifiers) {
      if (spec.type === "ImportNamespaceSpecifier") namespaces.add(spec.local.name);
      else if (spec.type === "ImportSpecifier") {
        const imported = spec.imported.type === "Identifier" ? spec.imported.name : spec.imported.value;
        if (imported === "defineWorkflow") names.add(spec.local.name);
      }
    }
  }
  return { names, namespaces };
}

/** Top-level `const x = …` initialisers and function declarations, by name. */
function topLevel(ast: File): { values: Map<string, Node>; functions: Map<string, FunctionNode> } {
  const values = new Map<string, Node>();
  const functions = new Map<string, FunctionNode>();
  const visit = (stmt: Statement | Node) => {
    if (stmt.type === "ExportNamedDeclaration" && stmt.declaration) return visit(stmt.declaration);
    if (stmt.type === "FunctionDeclaration" && stmt.id) functions.set(stmt.id.name, stmt);
    if (stmt.type === "VariableDeclaration") {
      for (const d of stmt.declarations) {
        if (d.id.type !== "Identifier" || !d.init) continue;
        values.set(d.id.name, d.init);
        const init = unwrap(d.init);
        if (init.type === "ArrowFunctionExpression" || init.type === "FunctionExpression") {
          functions.set(d.id.name, init);
        }
      }
    }
  };
  for (const stmt of ast.program.body) visit(stmt);
  return { values, functions };
}

/** Finds the default-exported `defineWorkflow({ … })` and its parts. */
export function findWorkflow(ast: File, file: string): WorkflowAst {
  const { values, functions } = topLevel(ast);
  const out: WorkflowAst = { file, ast, props: new Map(), functions, values };
  let exported: Node | undefined;
  for (const stmt of ast.program.body) {
    if (stmt.type === "ExportDefaultDeclaration") {
      out.exportNode = stmt;
      exported = stmt.declaration;
    } else if (stmt.type === "ExportNamedDeclaration" && !stmt.source) {
      for (const spec of stmt.specifiers) {
        if (spec.type !== "ExportSpecifier") continue;
        const name = spec.exported.type === "Identifier" ? spec.exported.name : spec.exported.value;
        if (name === "default") {
          out.exportNode = spec;
          exported = spec.local;
        }
      }
    }
  }
  const { names, namespaces } = defineNames(ast);
  const resolveValue = (node: Node | undefined, depth = 0): Node | undefined => {
    if (!node || depth > 5) return node;
    const n = unwrap(node);
    return n.type === "Identifier" && values.has(n.name) ? resolveValue(values.get(n.name), depth + 1) : n;
  };
  const call = resolveValue(exported);
  if (call?.type !== "CallExpression") return out;
  const callee = call.callee;
  const isDefine =
    (callee.type === "Identifier" && names.has(callee.name)) ||
    (callee.type === "MemberExpression" &&
      callee.property.type === "Identifier" &&
      callee.property.name === "defineWorkflow" &&
      (callee.object.type !== "Identifier" || namespaces.has(callee.object.name) || namespaces.size === 0));
  if (!isDefine) return out;
  const arg = resolveValue(call.arguments[0] as Node | undefined);
  if (arg?.type !== "ObjectExpression") return out;
  out.object = arg;
  for (const prop of arg.properties) {
    const name = keyName(prop);
    if (name !== undefined) out.props.set(name, prop);
  }
  const exec = out.props.get("execute");
  let fn: Node | undefined;
  if (exec?.type === "ObjectMethod") fn = exec;
  else if (exec?.type === "ObjectProperty") fn = resolveValue(exec.value);
  if (fn && isFunction(fn)) {
    out.execute = fn;
    out.ctx = ctxBinding(fn, 0);
  }
  if (fn?.type === "Identifier" && functions.has(fn.name)) {
    const f = functions.get(fn.name) as FunctionNode;
    out.execute = f;
    out.ctx = ctxBinding(f, 0);
  }
  return out;
}

/** How parameter `index` of `fn` binds the context (`ctx`, `{ step, sleep }`), or undefined. */
export function ctxBinding(fn: FunctionNode, index: number): CtxBinding | undefined {
  let param = fn.params[index] as Node | undefined;
  if (!param) return undefined;
  if (param.type === "AssignmentPattern") param = param.left;
  if (param.type === "Identifier") return { name: param.name, methods: new Map() };
  if (param.type === "ObjectPattern") {
    const methods = new Map<string, string>();
    for (const p of param.properties) {
      if (p.type !== "ObjectProperty") continue;
      const method = keyName(p);
      let value: Node = p.value;
      if (value.type === "AssignmentPattern") value = value.left;
      if (method !== undefined && value.type === "Identifier") methods.set(value.name, method);
    }
    return { methods };
  }
  return undefined;
}

/** The ctx method a call invokes (`ctx.step(…)`, `ctx["step"](…)`, a destructured `step(…)`), if any. */
export function ctxMethod(callee: Expression | Node, ctx: CtxBinding): string | undefined {
  const c = unwrap(callee);
  if (c.type === "Identifier") return ctx.methods.get(c.name);
  if ((c.type === "MemberExpression" || c.type === "OptionalMemberExpression") && ctx.name !== undefined) {
    const obj = unwrap(c.object);
    if (obj.type !== "Identifier" || obj.name !== ctx.name) return undefined;
    if (c.property.type === "Identifier" && !c.computed) return c.property.name;
    if (c.property.type === "StringLiteral") return c.property.value;
  }
  return undefined;
}

/** Whether `node` is the context itself (passed on to a helper). */
export const isCtx = (node: Node, ctx: CtxBinding): boolean => {
  const n = unwrap(node);
  return n.type === "Identifier" && n.name === ctx.name;
};
