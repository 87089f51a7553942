import type { Lookup, ResponseStore } from './response-store';

interface Entry {
  generations: string;
  body: string;
  expiresAt: number;
}

/** Answers in this router's memory, at most `maxEntries` and `maxBytes` of them (least recently used go first), each for `ttlSeconds`. */
export class MemoryResponseStore implements ResponseStore {
  readonly kind = 'memory';
  /** A Map iterates in insertion order: re-inserting on use keeps the least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  /** UTF-16 length of every stored body: JavaScript holds a string's characters in one or two bytes each. */
  private characters = 0;

  constructor(private readonly options: { maxEntries: number; maxBytes?: number; ttlSeconds: number; now?: () => number }) {}

  /** The answers' size as counted against maxBytes. */
  get bytes(): number {
    return this.characters;
  }

  get size(): number {
    return this.entries.size;
  }

  async lookup(key: string, subjects: readonly string[]): Promise<Lookup> {
    const generations = subjects.map((subject) => this.generations.get(subject) ?? 0).join(' ');
    const entry = this.entries.get(key);
    if (!entry) return { generations };
    this.entries.delete(key);
    if (entry.generations !== generations || entry.expiresAt <= this.now()) {
      this.characters -= entry.body.length;
      return { generations };
    }
    this.entries.set(key, entry);
    return { generations, body: entry.body };
  }

  async save(key: string, generations: string, body: string): Promise<void> {
    this.remove(key);
    this.entries.set(key, { generations, body, expiresAt: this.now() + this.options.ttlSeconds * 1000 });
    this.characters += body.length;
    const maxBytes = this.options.maxBytes ?? Number.POSITIVE_INFINITY;
    while (this.entries.size > this.options.maxEntries || (this.characters > maxBytes && this.entries.size > 0)) this.remove(this.entries.keys().next().value!);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.characters -= entry.body.length;
  }

  async invalidate(subjects: readonly string[]): Promise<void> {
    for (const subject of subjects) this.generations.set(subject, (this.generations.get(subject) ?? 0) + 1);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.characters = 0;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
