/**
 * references(): every root name an expression or template reads, with the static member path after it, so
 * validation can flag unknown roots and steps before a run starts. Walks with an explicit stack (no recursion).
 */
import type { Expr, Reference, Template } from "./ast.js";

export function collectReferences(x: Expr | Template): Reference[] {
  const out: Reference[] = [];
  const stack: Expr[] = [];
  if ("parts" in x) {
    for (const part of x.parts) if (part.kind === "expr") stack.push(part.expr);
  } else {
    stack.push(x);
  }
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    switch (node.kind) {
      case "literal":
        break;
      case "ident":
        out.push({ root: node.name, path: [], offset: node.offset, length: node.length });
        break;
      case "array":
        stack.push(...node.elements);
        break;
      case "call":
        stack.push(...node.args);
        break;
      case "unary":
        stack.push(node.operand);
        break;
      case "binary":
        stack.push(node.left, node.right);
        break;
      case "conditional":
        stack.push(node.test, node.consequent, node.alternate);
        break;
      case "member":
      case "index": {
        // Walk down to the base of `a.b[c].d`, then read the path back up until the first computed access.
        const links: Expr[] = [];
        let base: Expr = node;
        while (base.kind === "member" || base.kind === "index") {
          links.push(base);
          if (base.kind === "index") stack.push(base.index);
          base = base.object;
        }
        if (base.kind !== "ident") {
          stack.push(base);
          break;
        }
        const ref: Reference = { root: base.name, path: [], offset: base.offset, length: base.length };
        for (let i = links.length - 1; i >= 0; i--) {
          const link = links[i]!;
          if (link.kind !== "member") break;
          ref.path.push(link.name);
          ref.length = link.offset + link.length - ref.offset;
        }
        out.push(ref);
        break;
      }
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}
