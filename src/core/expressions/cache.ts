/**
 * A bounded cache of parsed sources: at most `maxEntries` entries and `maxChars` characters of source in total;
 * the oldest entry goes first. Parsing is on the engine's hot path (every prompt, command and condition).
 */
export class SourceCache<T> {
  private readonly map = new Map<string, T>();
  private chars = 0;
  constructor(
    private readonly maxEntries = 2_000,
    private readonly maxChars = 8 * 1024 * 1024,
  ) {}

  get(source: string): T | undefined {
    return this.map.get(source);
  }

  set(source: string, value: T): void {
    if (source.length > this.maxChars / 32 || this.map.has(source)) return;
    this.map.set(source, value);
    this.chars += source.length;
    for (const oldest of this.map.keys()) {
      if (this.map.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.map.delete(oldest);
      this.chars -= oldest.length;
    }
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.chars = 0;
  }
}
