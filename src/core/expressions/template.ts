/**
 * Templates: text with `{{ expr }}` parts. The closing `}}` is searched for outside string literals, so
 * `{{ 'a}}b' }}` is one expression. There is no escape for a literal `{{` in text; write `{{ '{{' }}`.
 */
import type { Json } from "../json.js";
import type { Limits, Scope, Template, TemplatePart } from "./ast.js";
import { expressionError, lineColumn } from "./errors.js";
import { evaluateIn } from "./evaluate.js";
import { type CallContext, renderText } from "./functions.js";
import { parseRange } from "./parser.js";

/** Index of the `}}` closing an expression that starts at `start`, skipping string literals. */
function findClose(src: string, start: number): { close: number } | { unclosedString: number } | undefined {
  for (let j = start; j < src.length; j++) {
    const c = src[j];
    if (c === "'" || c === '"') {
      const quoteAt = j;
      for (j++; j < src.length && src[j] !== c; j++) if (src[j] === "\\") j++;
      if (j >= src.length) return { unclosedString: quoteAt };
    } else if (c === "}" && src[j + 1] === "}") {
      return { close: j };
    }
  }
  return undefined;
}

export function parseTemplateSource(src: string, limits: Limits): Template {
  if (src.length > limits.maxSourceLength) {
    throw expressionError(
      src,
      limits.maxSourceLength,
      `text is ${src.length} characters long; the limit is ${limits.maxSourceLength}`,
    );
  }
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open === -1) {
      parts.push(Object.freeze({ kind: "text", text: src.slice(i), offset: i }));
      break;
    }
    if (open > i) parts.push(Object.freeze({ kind: "text", text: src.slice(i, open), offset: i }));
    const start = open + 2;
    const found = findClose(src, start);
    if (found === undefined || "unclosedString" in found) {
      const inString = found && lineColumn(src, found.unclosedString);
      const hint = inString
        ? `the string that starts at line ${inString.line}, column ${inString.column} is never closed`
        : "add `}}` after the expression";
      throw expressionError(src, open, "`{{` is never closed", hint, 2);
    }
    const close = found.close;
    if (close - start > limits.maxExpressionLength) {
      throw expressionError(
        src,
        start,
        `expression is ${close - start} characters long; the limit is ${limits.maxExpressionLength}`,
      );
    }
    const expr = parseRange(src, start, close, { braces: false, maxDepth: limits.maxDepth });
    parts.push(Object.freeze({ kind: "expr", expr, source: src.slice(start, close), offset: start }));
    i = close + 2;
  }
  return Object.freeze({ source: src, parts: Object.freeze(parts) });
}

/** The only expression of a template that is one `{{ expr }}` with nothing but whitespace around it. */
export function soleExpression(tpl: Template): (TemplatePart & { kind: "expr" }) | undefined {
  let sole: (TemplatePart & { kind: "expr" }) | undefined;
  for (const part of tpl.parts) {
    if (part.kind === "text") {
      if (part.text.trim() !== "") return undefined;
    } else if (sole) {
      return undefined;
    } else {
      sole = part;
    }
  }
  return sole;
}

export function renderTemplate(tpl: Template, scope: Scope, limits: Limits): string {
  const first = tpl.parts[0];
  if (tpl.parts.length === 1 && first?.kind === "text") return first.text;
  let out = "";
  for (const part of tpl.parts) {
    if (part.kind === "text") {
      out += part.text;
    } else {
      const cx: CallContext = {
        maxStringLength: limits.maxStringLength,
        fail: (what, hint) => {
          throw expressionError(tpl.source, part.offset, what, hint);
        },
      };
      out += renderText(evaluateIn(part.expr, tpl.source, scope, limits), cx);
      if (out.length > limits.maxStringLength) {
        cx.fail(`the rendered text is over ${limits.maxStringLength} characters long`, "render smaller values");
      }
    }
  }
  return out;
}

export function renderTemplateValue(tpl: Template, scope: Scope, limits: Limits): Json {
  const sole = soleExpression(tpl);
  return sole ? evaluateIn(sole.expr, tpl.source, scope, limits) : renderTemplate(tpl, scope, limits);
}
