import { generateAssortment } from './assortment';
import { resolveSize, type BrandSize, type ResolvedSize } from './brand-size';
import { DAY_MS, historyStartOf } from './calendar';
import { generateCampaigns } from './campaigns';
import { generateLocations } from './locations';
import type { Campaign, Level, Location, Order, Product } from './model';
import { createOrderStream } from './orders';
import { deriveSeed, Rng } from './prng';
import { generateProducts } from './products';

export interface Brand {
  size: ResolvedSize;
  /** UTC midnight where the sales history begins; `size.until` is where it ends. */
  historyStart: Date;
  locations: Location[];
  /** Sorted by sku. */
  products: Product[];
  /** What each location carries; sales only ever take these. */
  levels: Level[];
  campaigns: Campaign[];
  /**
   * The orders, oldest first, `batchSize` (default 2,000) at a time. Every call replays the same
   * orders, so loaders can walk them independently without holding them all.
   */
  orderBatches(batchSize?: number): Generator<Order[]>;
}

/** A whole furniture brand, the same for the same size and seed (no clock, no Math.random). */
export function generateBrand(size: BrandSize): Brand {
  const resolved = resolveSize(size);
  const { seed, until } = resolved;
  const rng = (part: string) => new Rng(deriveSeed(seed, part));
  const historyStart = historyStartOf(until, resolved.months);
  const days = Math.max(1, (until.getTime() - historyStart.getTime()) / DAY_MS);

  const locations = generateLocations(rng('locations'), resolved.locations, historyStart);
  const products = generateProducts(rng('products'), resolved.products, historyStart);
  const levels = generateAssortment(rng('assortment'), locations, products, resolved.orders, days);
  const campaigns = generateCampaigns(rng('campaigns'), resolved.campaigns, locations, products, historyStart, until);
  const orderBatches = createOrderStream({ seed, orders: resolved.orders, historyStart, until, locations, products, levels, campaigns });
  return { size: resolved, historyStart, locations, products, levels, campaigns, orderBatches };
}
