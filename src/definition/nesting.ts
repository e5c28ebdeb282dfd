/**
 * How deep a YAML or JSON text nests, read from the text itself — before the yaml parser, whose parse, `toJS`
 * and our position walk are recursive and would overflow the stack on a deep enough document (2,000 levels).
 *
 * A scan in one pass, with a loop: flow collections (`[`, `{`) count a level each until they close; a block
 * line counts one level per indentation it is deeper than (an indentation stack) plus one per `- ` / `? `
 * entry marker it opens with. Quoted scalars, comments and the body of block scalars (`|`, `>`) are skipped.
 * It may over-count (a bracket inside a plain scalar, `echo [[ -f x ]]`), never by much, and the limit is far
 * above any real workflow's depth (a dozen levels).
 */

export interface NestingProblem {
  /** Offset in the text where the nesting first goes past the limit. */
  offset: number;
}

/** The first place the text nests deeper than `limit` levels, or undefined. */
export function nestingProblem(text: string, limit: number): NestingProblem | undefined {
  const indents: number[] = [];
  let flow = 0;
  /** The block depth of the line a flow collection opened on. */
  let flowBase = 0;
  let blockScalarIndent = -1;
  let lineStart = 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    let i = lineStart;
    while (i < lineEnd && (text[i] === " " || text[i] === "\t")) i++;
    const indent = i - lineStart;
    const blank = i >= lineEnd || text[i] === "\r" || text[i] === "#";
    if (blockScalarIndent >= 0 && (blank || indent > blockScalarIndent)) {
      lineStart = lineEnd + 1;
      continue;
    }
    blockScalarIndent = -1;
    if (blank) {
      lineStart = lineEnd + 1;
      continue;
    }
    let blockDepth = 0;
    if (flow === 0) {
      while (indents.length > 0 && (indents[indents.length - 1] as number) >= indent) indents.pop();
      indents.push(indent);
      blockDepth = indents.length;
      // `- - - x`: each entry marker on the line opens one more level.
      if (blockDepth > limit) return { offset: i };
      while ((text[i] === "-" || text[i] === "?") && (text[i + 1] === " " || i + 1 >= lineEnd)) {
        if (++blockDepth > limit) return { offset: i };
        i += 2;
        while (i < lineEnd && text[i] === " ") i++;
      }
    }
    // The rest of the line: flow brackets, quoted scalars, comments, a block scalar's header.
    let atScalarStart = true;
    for (; i < lineEnd; i++) {
      const c = text[i];
      if (c === "#" && (i === lineStart || text[i - 1] === " " || text[i - 1] === "\t")) break;
      if ((c === '"' || c === "'") && atScalarStart) {
        const end = closingQuote(text, i, c);
        if (end === -1) return undefined; // unterminated: the parser reports it
        // A quoted scalar may span lines: continue after it, on its last line.
        const nl = text.lastIndexOf("\n", end);
        if (nl >= lineEnd) {
          lineEnd = text.indexOf("\n", end);
          if (lineEnd === -1) lineEnd = text.length;
        }
        i = end;
        atScalarStart = false;
        continue;
      }
      if (c === "[" || c === "{") {
        if (flow === 0) flowBase = blockDepth;
        flow++;
        if (flowBase + flow > limit) return { offset: i };
        atScalarStart = true;
        continue;
      }
      if (c === "]" || c === "}") {
        if (flow > 0) flow--;
        atScalarStart = false;
        continue;
      }
      if (c === "," || (c === ":" && (text[i + 1] === " " || text[i + 1] === "\t" || i + 1 >= lineEnd))) {
        atScalarStart = true;
        continue;
      }
      if ((c === "|" || c === ">") && atScalarStart && flow === 0) {
        blockScalarIndent = indent;
        break;
      }
      if (c !== " " && c !== "\t") atScalarStart = false;
    }
    lineStart = lineEnd + 1;
  }
  return undefined;
}

/** The index of the quote that closes the scalar opened at `start`, or -1. */
function closingQuote(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === "\\") {
      i++;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}
