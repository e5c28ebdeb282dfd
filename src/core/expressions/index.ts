/**
 * PLACEHOLDER SIGNATURES ONLY — being implemented now by the expressions work; replace this whole file.
 * The public API of the expression language (see DESIGN.md "Expressions — safe by construction").
 */
import { WeftError } from "../errors.js";
import type { Json } from "../json.js";

/** Resolves a root name (`args`, `steps`, a step id, a context key…); undefined → "not defined" error. */
export type Scope = (root: string) => Json | undefined;

export interface Limits {
  maxSourceLength: number;
  maxDepth: number;
  maxSteps: number;
  maxStringLength: number;
}

export type Expr = { readonly kind: string; readonly offset: number; readonly length: number };

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "expr"; expr: Expr; source: string; offset: number };

export interface Template {
  source: string;
  parts: TemplatePart[];
}

export interface Reference {
  root: string;
  /** Static member names after the root, up to the first computed access. */
  path: string[];
  offset: number;
  length: number;
}

export class ExpressionError extends WeftError {
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super("WEFT_EXPRESSION", message);
    this.name = "ExpressionError";
  }
}

const todo = (): never => {
  throw new Error("expressions not implemented yet");
};
export const parseExpression: (src: string) => Expr = todo;
export const parseTemplate: (src: string) => Template = todo;
export const parseCondition: (src: string) => Expr = todo;
export const evaluate: (expr: Expr, scope: Scope, limits?: Partial<Limits>) => Json = todo;
export const renderString: (tpl: Template | string, scope: Scope, limits?: Partial<Limits>) => string = todo;
export const renderValue: (tpl: Template | string, scope: Scope, limits?: Partial<Limits>) => Json = todo;
export const evaluateCondition: (src: string, scope: Scope, limits?: Partial<Limits>) => boolean = todo;
export const references: (x: Expr | Template) => Reference[] = todo;
export const isTemplate = (s: string): boolean => s.includes("{{");
export const toTemplateString = (v: Json): string => (v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
