export interface BrandSize {
  /** All locations: one ONLINE channel, 2-5 warehouses, the rest stores. At least 4. */
  locations: number;
  products: number;
  orders: number;
  campaigns: number;
  /** Length of the sales history. */
  months: number;
  /** Default 1. */
  seed?: number;
  /** End of the sales history; default: now. */
  until?: Date;
}

/** Small enough to load into embedded PGlite in a moment: 9 stores, 2 warehouses, 1 online channel. */
export const DEMO_BRAND: BrandSize = { locations: 12, products: 120, orders: 6_000, campaigns: 5, months: 6 };

/** A mid-sized chain, for load and query-plan work against PostgreSQL. */
export const MEDIUM_BRAND: BrandSize = { locations: 50, products: 5_000, orders: 200_000, campaigns: 20, months: 12 };

/**
 * The benchmark brand (issue 5, "Speed"): 200 locations, 20,000 products, 2,000,000
 * orders over a year, for the analytics benchmark against PostgreSQL (`npm run bench:analytics`).
 */
export const LARGE_BRAND: BrandSize = { locations: 200, products: 20_000, orders: 2_000_000, campaigns: 40, months: 12 };

export type ResolvedSize = Required<BrandSize>;

export function resolveSize(size: BrandSize): ResolvedSize {
  const whole = (name: keyof BrandSize, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`BrandSize.${name} must be a whole number >= ${min}, got ${value}`);
  };
  whole('locations', size.locations, 4);
  whole('products', size.products, 8);
  whole('orders', size.orders, 0);
  whole('campaigns', size.campaigns, 0);
  whole('months', size.months, 1);
  const seed = size.seed ?? 1;
  whole('seed', seed, 0);
  const until = size.until ?? new Date();
  if (Number.isNaN(until.getTime())) throw new RangeError('BrandSize.until is not a valid date');
  return { ...size, seed, until };
}
