/** The inventory reports: arguments checked here, each report one SQL statement grouped in the database. */
import type { InventoryAccess } from '../access';
import type { Location, PrismaClient, Product } from '../generated/prisma/client';
import type { Loaders } from '../loaders';
import { readDimensions, readFilter, readInt, readPeriod, type InventoryAnalyticsFilter, type InventoryDimension, type LevelFilter } from './analytics-input';
import type { GroupEntities } from './analytics-models';
import { daysOfSupply } from './days-of-supply';
import { sellThrough } from './sell-through';
import { slowMovers } from './slow-movers';
import { stockOuts } from './stock-outs';
import { stockValue } from './stock-value';

/** Most rows of a grouped report (200 locations × 20 categories fit). */
export const MAX_GROUP_ROWS = 5_000;
/** Most rows of a per-level list. */
export const MAX_LIST_ROWS = 500;

interface Grouped {
  filter?: InventoryAnalyticsFilter | null;
  groupBy?: readonly InventoryDimension[] | null;
  first?: number | null;
}

type Keyed = GroupEntities & { locationId: string | null; sku: string | null };

export class InventoryAnalytics {
  constructor(private readonly prisma: PrismaClient, private readonly loaders: Loaders, private readonly access: InventoryAccess) {}

  /**
   * The filter, checked, narrowed to the caller's locations: every report reads only their levels
   * and movements, so rows and totals alike leave out other locations' stock. A location asked
   * for outside them is FORBIDDEN.
   */
  private filter(filter: InventoryAnalyticsFilter | null | undefined): LevelFilter {
    const normal = readFilter(filter);
    const locationIds = this.access.scope(normal.locationIds);
    return locationIds === undefined ? normal : { ...normal, locationIds: [...locationIds] };
  }

  /** Loads the rows' locations and products in one batch each and attaches them. */
  private async withEntities<T extends Keyed>(rows: T[]): Promise<T[]> {
    const locationIds = [...new Set(rows.flatMap((row) => (row.locationId ? [row.locationId] : [])))];
    const skus = [...new Set(rows.flatMap((row) => (row.sku ? [row.sku] : [])))];
    const [locations, products] = await Promise.all([this.loaders.location.loadMany(locationIds), this.loaders.product.loadMany(skus)]);
    const locationOf = new Map(locationIds.map((id, index) => [id, locations[index] as Location | null]));
    const productOf = new Map(skus.map((sku, index) => [sku, products[index] as Product | null]));
    for (const row of rows) {
      row.location = row.locationId ? locationOf.get(row.locationId) ?? null : null;
      row.product = row.sku ? productOf.get(row.sku) ?? null : null;
    }
    return rows;
  }

  async stockValue(args: Grouped) {
    const report = await stockValue(this.prisma, this.filter(args.filter), readDimensions(args.groupBy, ['LOCATION', 'CATEGORY']), readInt('first', args.first, 500, 1, MAX_GROUP_ROWS));
    return { ...report, rows: await this.withEntities(report.rows) };
  }

  async sellThrough(args: Grouped & { from: Date; to?: Date | null }) {
    const first = readInt('first', args.first, 500, 1, MAX_GROUP_ROWS);
    const report = await sellThrough(this.prisma, this.filter(args.filter), readPeriod(args.from, args.to), readDimensions(args.groupBy, ['LOCATION', 'CATEGORY']), first);
    return { ...report, rows: await this.withEntities(report.rows) };
  }

  async daysOfSupply(args: Grouped & { lookbackDays?: number | null }) {
    const lookbackDays = readInt('lookbackDays', args.lookbackDays, 28, 1, 365);
    const first = readInt('first', args.first, 50, 1, MAX_LIST_ROWS);
    const report = await daysOfSupply(this.prisma, this.filter(args.filter), lookbackDays, readDimensions(args.groupBy, ['LOCATION', 'PRODUCT']), first);
    return { ...report, rows: await this.withEntities(report.rows) };
  }

  async stockOuts(args: { filter?: InventoryAnalyticsFilter | null; from: Date; to?: Date | null; first?: number | null }) {
    const first = readInt('first', args.first, 50, 1, MAX_LIST_ROWS);
    const report = await stockOuts(this.prisma, this.filter(args.filter), readPeriod(args.from, args.to), first);
    return { ...report, levels: await this.withEntities(report.levels) };
  }

  async slowMovers(args: Grouped & { days?: number | null; maxUnitsSold?: number | null }) {
    const days = readInt('days', args.days, 90, 1, 730);
    const maxUnitsSold = readInt('maxUnitsSold', args.maxUnitsSold, 0, 0, 1_000_000_000);
    const first = readInt('first', args.first, 50, 1, MAX_LIST_ROWS);
    const report = await slowMovers(this.prisma, this.filter(args.filter), { days, maxUnitsSold }, readDimensions(args.groupBy, ['PRODUCT']), first);
    return { ...report, rows: await this.withEntities(report.rows) };
  }
}
