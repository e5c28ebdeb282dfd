/**
 * A child process's output stream (script steps, CLI agents): split into lines as it arrives, and its tail kept in
 * memory.
 */
import { StringDecoder } from "node:string_decoder";

/** A line longer than this is passed on in pieces, so a stream without newlines cannot grow memory. */
const MAX_LINE_CHARS = 64 * 1024;

export interface Captured {
  text: string;
  /** Bytes dropped from the front to keep at most `maxBytes`. */
  droppedBytes: number;
}

export class OutputStream {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.keep(chunk);
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.emit(line);
    while (this.partial.length > MAX_LINE_CHARS) {
      this.onLine(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
  }

  /** Flushes a last line that has no newline. Call once, when the stream has ended. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest !== "") this.emit(rest);
  }

  captured(): Captured {
    let buf = Buffer.concat(this.chunks, this.size);
    let dropped = this.dropped;
    if (buf.length > this.maxBytes) {
      dropped += buf.length - this.maxBytes;
      buf = buf.subarray(buf.length - this.maxBytes);
    }
    // Do not start in the middle of a UTF-8 sequence.
    let start = 0;
    while (dropped > 0 && start < buf.length && start < 4 && ((buf[start] as number) & 0xc0) === 0x80) start++;
    return { text: buf.subarray(start).toString("utf8"), droppedBytes: dropped + start };
  }

  private emit(line: string): void {
    this.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }

  private keep(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Drop whole chunks that lie entirely before the last `maxBytes`.
    while (this.chunks.length > 1 && this.size - (this.chunks[0] as Buffer).length >= this.maxBytes) {
      const first = this.chunks.shift() as Buffer;
      this.size -= first.length;
      this.dropped += first.length;
    }
    if (this.size > 2 * this.maxBytes) {
      // One huge chunk: keep only its tail.
      const buf = Buffer.concat(this.chunks, this.size);
      const tail = Buffer.from(buf.subarray(buf.length - this.maxBytes));
      this.dropped += buf.length - tail.length;
      this.chunks = [tail];
      this.size = tail.length;
    }
  }
}

/** The last `count` non-empty lines of `text`, at most `maxChars` characters. */
export function lastLines(text: string, count: number, maxChars = 2000): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const tail = lines.slice(-count).join("\n");
  return tail.length > maxChars ? `…${tail.slice(tail.length - maxChars)}` : tail;
}
