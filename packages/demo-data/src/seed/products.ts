import type { Product } from './model';
import type { Rng } from './prng';
import { SERIES, VOCABULARY, type CategoryVocabulary } from './product-vocabulary';

const DAY_MS = 86_400_000;
/** How steeply sales fall from bestseller to long tail (Zipf exponent). */
const POPULARITY_SKEW = 0.8;

/** Whole numbers in proportion to `shares`, adding up to exactly `total` (largest remainder). */
export function apportion(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((share) => (total * share) / sum);
  const counts = exact.map(Math.floor);
  const order = exact.map((value, i) => [value - counts[i], i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = total - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k += 1) counts[order[k % order.length][1]] += 1;
  return counts;
}

function skuToken(text: string): string {
  return text.replace(/Ø/g, 'O').replace(/ø/g, 'o').replace(/Æ/g, 'AE').replace(/æ/g, 'ae')
    .normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Shop prices end in 9 (1,299.00) or, below 100, in .95 (49.95). */
function shelfPrice(euros: number, [min, max]: [number, number]): number {
  const clamped = Math.min(max, Math.max(min, euros));
  const cents = clamped < 100 ? Math.round(clamped / 5) * 500 - 5 : (Math.round(clamped / 10) * 10 - 1) * 100;
  return Math.min(max * 100, Math.max(min * 100, cents));
}

function categoryProducts(rng: Rng, vocabulary: CategoryVocabulary, count: number, historyStart: Date, skus: Set<string>): Omit<Product, 'popularity'>[] {
  const combinations: [number, number, number][] = [];
  SERIES.forEach((_, s) => vocabulary.types.forEach((_, t) => vocabulary.finishes.forEach((_, f) => combinations.push([s, t, f]))));
  rng.shuffle(combinations);
  const products: Omit<Product, 'popularity'>[] = [];
  for (let i = 0; i < count; i += 1) {
    const [s, t, f] = combinations[i % combinations.length];
    // Only catalogues bigger than every combination need an edition number.
    const edition = Math.floor(i / combinations.length) + 1;
    const series = SERIES[s];
    const type = vocabulary.types[t];
    const finish = vocabulary.finishes[f];
    const base = `${vocabulary.skuPrefix}-${skuToken(series)}-${type.code}-${finish.code}${edition > 1 ? `-E${edition}` : ''}`;
    let sku = base;
    for (let n = 2; skus.has(sku); n += 1) sku = `${base}-${n}`;
    skus.add(sku);
    const euros = (type.min + (type.max - type.min) * rng.next() ** 1.4) * finish.factor;
    products.push({
      sku,
      name: `${vocabulary.name(series, type, finish)}${edition > 1 ? ` (Edition ${edition})` : ''}`,
      category: vocabulary.category,
      priceCents: shelfPrice(euros, vocabulary.priceRange),
      description: vocabulary.description(type, finish),
      createdAt: new Date(historyStart.getTime() - rng.int(30, 900) * DAY_MS),
    });
  }
  return products;
}

/** A catalogue in every category, sorted by sku, with a few bestsellers and a long tail. */
export function generateProducts(rng: Rng, count: number, historyStart: Date): Product[] {
  const counts = apportion(count, VOCABULARY.map((entry) => entry.catalogueShare));
  const skus = new Set<string>();
  const drafts = VOCABULARY.flatMap((vocabulary, i) => categoryProducts(rng, vocabulary, counts[i], historyStart, skus));
  const ranks = rng.shuffle(drafts.map((_, i) => i));
  const demand = new Map(VOCABULARY.map((entry) => [entry.category, entry.demand]));
  return drafts
    .map((draft, i) => ({ ...draft, popularity: demand.get(draft.category)! / (ranks[i] + 2) ** POPULARITY_SKEW }))
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}
