/**
 * Where things are in a definition's source text: every mapping key and value, and every sequence item, is
 * recorded by its path from the document root, so a validation issue can name a file, line and column.
 */
import type { LineCounter, Scalar } from "yaml";
import type { SourceLocation } from "../core/errors.js";

/** A path from the document root: mapping keys and sequence indexes. */
export type Path = readonly (string | number)[];

interface Entry {
  /** Offset of the mapping key, when the path ends in a key. */
  keyStart?: number | undefined;
  /** Offset of the value (or of the key when the value is empty). */
  valueStart: number;
  /** The scalar node of the value, for offsets inside strings. */
  scalar?: Scalar | undefined;
}

const SEP = "\u0000";
const pathKey = (path: Path): string => path.join(SEP);

export class SourceMap {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly file: string,
    private readonly text: string,
    private readonly lines: LineCounter,
  ) {}

  set(path: Path, entry: Entry): void {
    this.entries.set(pathKey(path), entry);
  }

  has(path: Path): boolean {
    return this.entries.has(pathKey(path));
  }

  /** Location of an offset of the source text. */
  at(offset: number): SourceLocation {
    const pos = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line: pos.line, column: pos.col };
  }

  /**
   * Location of the value (or key) at `path`; a path that does not exist (a missing key, a value inside an
   * alias) falls back to its nearest recorded ancestor.
   */
  locate(path: Path, part: "key" | "value" = "value"): SourceLocation {
    const entry = this.nearest(path);
    if (!entry) return { file: this.file, line: 1, column: 1 };
    const offset = part === "key" && entry.keyStart !== undefined ? entry.keyStart : entry.valueStart;
    return this.at(offset);
  }

  /** The source text of a scalar value as written (e.g. `1.10` for a version parsed as a number). */
  scalarSource(path: Path): string | undefined {
    const scalar = this.entries.get(pathKey(path))?.scalar;
    if (!scalar?.range) return undefined;
    return scalar.source ?? this.text.slice(scalar.range[0], scalar.range[1]);
  }

  /**
   * Location of character `offset` of the string value at `path`. Exact for plain and block scalars and for
   * quoted ones without escapes; otherwise on the right line in practice.
   */
  locateInString(path: Path, offset: number): SourceLocation {
    const entry = this.entries.get(pathKey(path));
    const scalar = entry?.scalar;
    if (!scalar?.range || typeof scalar.value !== "string") return this.locate(path);
    return this.at(scalarOffset(this.text, scalar, offset));
  }

  private nearest(path: Path): Entry | undefined {
    for (let n = path.length; n >= 0; n--) {
      const entry = this.entries.get(pathKey(path.slice(0, n)));
      if (entry) return entry;
    }
    return undefined;
  }
}

interface BodyChar {
  ch: string;
  at: number;
}

/** The characters of a scalar's body with their source offsets: quotes, block headers and indentation removed. */
function scalarBody(text: string, scalar: Scalar): BodyChar[] {
  const [start, end] = scalar.range as [number, number, number];
  const body: BodyChar[] = [];
  const push = (from: number, to: number) => {
    for (let i = from; i < to; i++) body.push({ ch: text[i] as string, at: i });
  };
  if (scalar.type === "BLOCK_LITERAL" || scalar.type === "BLOCK_FOLDED") {
    const headerEnd = text.indexOf("\n", start);
    if (headerEnd < 0 || headerEnd >= end) return body;
    const lines: [number, number][] = [];
    let from = headerEnd + 1;
    while (from < end) {
      const nl = text.indexOf("\n", from);
      const to = nl < 0 || nl >= end ? end : nl;
      lines.push([from, to]);
      from = to + 1;
    }
    let indent = 0;
    for (const [a, b] of lines) {
      const lead = leadingSpaces(text, a, b);
      if (a + lead < b) {
        indent = lead;
        break;
      }
    }
    for (const [a, b] of lines) {
      push(a + Math.min(indent, leadingSpaces(text, a, b)), b);
      if (b < end) body.push({ ch: "\n", at: b });
    }
    return body;
  }
  if (scalar.type === "QUOTE_DOUBLE" || scalar.type === "QUOTE_SINGLE") push(start + 1, end - 1);
  else push(start, end);
  return body;
}

function leadingSpaces(text: string, from: number, to: number): number {
  let n = 0;
  while (from + n < to && text[from + n] === " ") n++;
  return n;
}

const ESCAPE_LENGTH: Record<string, number> = { x: 4, u: 6, U: 10 };

/** Aligns the parsed value with its source body to find where value character `offset` was written. */
function scalarOffset(text: string, scalar: Scalar, offset: number): number {
  const value = scalar.value as string;
  const body = scalarBody(text, scalar);
  const [start, end] = scalar.range as [number, number, number];
  const doubleQuoted = scalar.type === "QUOTE_DOUBLE";
  const singleQuoted = scalar.type === "QUOTE_SINGLE";
  let s = 0;
  let v = 0;
  while (v < offset && s < body.length) {
    const sc = (body[s] as BodyChar).ch;
    if (doubleQuoted && sc === "\\") {
      const next = body[s + 1]?.ch;
      if (next === "\n") {
        s += 2;
        while (s < body.length && /\s/.test((body[s] as BodyChar).ch)) s++;
        continue;
      }
      s += ESCAPE_LENGTH[next ?? ""] ?? 2;
      v += next === "U" && (value.codePointAt(v) ?? 0) > 0xffff ? 2 : 1;
      continue;
    }
    if (singleQuoted && sc === "'" && body[s + 1]?.ch === "'") {
      s += 2;
      v += 1;
      continue;
    }
    // A line break in the source may be folded into a space of the value.
    if (sc === value[v] || (sc === "\n" && value[v] === " ")) v++;
    s++;
  }
  const hit = body[s];
  if (hit) return hit.at;
  return Math.min(start + (doubleQuoted || singleQuoted ? 1 : 0) + offset, end);
}
