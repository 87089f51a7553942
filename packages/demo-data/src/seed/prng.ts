const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * Seeded random numbers (mulberry32): small, fast and reproducible, which is all seed data needs.
 * Never use it for anything that must be unguessable.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Where the sequence stands: `new Rng(rng.position)` continues it exactly. */
  get position(): number {
    return this.state;
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** In [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const weight of weights) total += weight;
    let x = this.next() * total;
    for (let i = 0; i < items.length; i += 1) {
      x -= weights[i];
      if (x < 0) return items[i];
    }
    return items[items.length - 1];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /**
   * A UUID laid out like RFC 9562 v7 (`ms` in the first 48 bits, version and variant bits set), so
   * seeded rows sort by time in their indexes as rows made by the services do.
   */
  uuid(ms: number): string {
    const bytes = new Array<number>(16);
    let time = Math.max(0, Math.floor(ms));
    for (let i = 5; i >= 0; i -= 1) {
      bytes[i] = time % 256;
      time = Math.floor(time / 256);
    }
    for (let i = 6; i < 16; i += 4) {
      const random = this.uint32();
      for (let k = 0; k < 4 && i + k < 16; k += 1) bytes[i + k] = (random >>> (8 * k)) & 0xff;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.map((byte) => HEX[byte]).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/**
 * One independent stream per part of the brand, so that changing, say, the number of campaigns
 * leaves the products and orders of the same seed untouched.
 */
export function deriveSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i += 1) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return (hash ^ (hash >>> 13)) >>> 0;
}

/** Running totals of `weights`, for picking many times from the same distribution. */
export function cumulative(weights: readonly number[]): Float64Array {
  const sums = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((weight, i) => {
    total += weight;
    sums[i] = total;
  });
  return sums;
}

/** Index drawn in proportion to the weights behind `sums` (from `cumulative`). */
export function pickIndex(rng: Rng, sums: Float64Array): number {
  const x = rng.next() * sums[sums.length - 1];
  let low = 0;
  let high = sums.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sums[mid] > x) high = mid;
    else low = mid + 1;
  }
  return low;
}
