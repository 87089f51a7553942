import DataLoader from 'dataloader';
import { connection, graphQLError, groupByArgumentsBesidesLocation, isInstantAndUuid, isUuid, readPage, type PageArgs } from '@joinery/core';
import { Prisma, type PrismaClient, type SalesOrder, type SalesOrderLine } from './generated/prisma/client';
import type { TimeRange } from './summary-service';

/** A page of one location's orders; keys differing only by location share one query. */
interface LocationPageKey extends TimeRange {
  locationId: string;
  take: number;
  after: [string, string] | null;
}


function rangeSql(range: TimeRange): Prisma.Sql {
  return Prisma.sql`${range.from ? Prisma.sql`AND ordered_at >= ${range.from}` : Prisma.empty} ${range.to ? Prisma.sql`AND ordered_at < ${range.to}` : Prisma.empty}`;
}

export interface OrderFilter extends TimeRange {
  locationIds?: string[] | null;
  campaignIds?: string[] | null;
}

/**
 * Reads of confirmed orders. Pending and rejected orders are never shown. `visible` is the
 * locations the caller may see (undefined: all): `list` covers only those. Single orders and one
 * location's page are loaded whatever their location: their resolvers refuse an out-of-scope one
 * as FORBIDDEN rather than hide it (see sales-access.ts).
 */
export class OrderService {
  private readonly orders: DataLoader<string, SalesOrder | null>;
  private readonly lines: DataLoader<string, SalesOrderLine[]>;
  private readonly locationPages: DataLoader<LocationPageKey, SalesOrder[], string>;
  private readonly locationCounts: DataLoader<TimeRange & { locationId: string }, number, string>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly visible?: readonly string[],
  ) {
    // Ids are UUIDs, which PostgreSQL matches whatever their case and returns in lower case: the
    // loader does the same, so an upper-case id finds its order (and its location is checked).
    this.orders = new DataLoader(
      async (ids) => {
        const valid = ids.filter(isUuid);
        const rows = valid.length ? await prisma.salesOrder.findMany({ where: { id: { in: valid }, status: 'CONFIRMED' } }) : [];
        const byId = new Map(rows.map((row) => [row.id.toLowerCase(), row]));
        return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
      },
      { cacheKeyFn: (id) => id.toLowerCase() },
    );
    this.lines = new DataLoader(async (orderIds) => {
      const rows = await prisma.salesOrderLine.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: [{ orderId: 'asc' }, { lineNumber: 'asc' }] });
      const byOrder = new Map<string, SalesOrderLine[]>();
      for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
      return orderIds.map((id) => byOrder.get(id) ?? []);
    });
    const cacheKeyFn = (key: object) => JSON.stringify(key);
    this.locationPages = new DataLoader<LocationPageKey, SalesOrder[], string>(
      async (keys) => {
        const pages = new Map<string, string[]>();
        for (const group of groupByArgumentsBesidesLocation(keys)) {
          const { take, after } = group[0];
          // LATERAL … LIMIT walks each location's (location_id, ordered_at) index and stops early.
          const rows = await prisma.$queryRaw<{ id: string; location_id: string }[]>`
            SELECT page.id::text AS id, page.location_id::text AS location_id
            FROM unnest(${group.map((key) => key.locationId)}::uuid[]) WITH ORDINALITY AS wanted(location_id, n)
            CROSS JOIN LATERAL (
              SELECT id, location_id, ordered_at FROM sales_orders
              WHERE status = 'CONFIRMED' AND location_id = wanted.location_id ${rangeSql(group[0])}
                ${after ? Prisma.sql`AND (ordered_at, id) < (${new Date(after[0])}, ${after[1]}::uuid)` : Prisma.empty}
              ORDER BY ordered_at DESC, id DESC
              LIMIT ${take}
            ) AS page
            ORDER BY wanted.n, page.ordered_at DESC, page.id DESC`;
          for (const row of rows) {
            const key = cacheKeyFn({ ...group[0], locationId: row.location_id });
            pages.set(key, [...(pages.get(key) ?? []), row.id]);
          }
        }
        const orders = await this.orders.loadMany([...new Set([...pages.values()].flat())]);
        const byId = new Map(orders.flatMap((order) => (order && !(order instanceof Error) ? [[order.id, order] as const] : [])));
        return keys.map((key) => (pages.get(cacheKeyFn(key)) ?? []).map((id) => byId.get(id)!).filter(Boolean));
      },
      { cacheKeyFn },
    );
    this.locationCounts = new DataLoader<TimeRange & { locationId: string }, number, string>(
      async (keys) => {
        const counts = new Map<string, number>();
        for (const group of groupByArgumentsBesidesLocation(keys)) {
          const rows = await prisma.$queryRaw<{ location_id: string; count: number }[]>`
            SELECT location_id::text AS location_id, count(*)::int AS count FROM sales_orders
            WHERE status = 'CONFIRMED' AND location_id = ANY(${group.map((key) => key.locationId)}::uuid[]) ${rangeSql(group[0])}
            GROUP BY location_id`;
          for (const row of rows) counts.set(cacheKeyFn({ ...group[0], locationId: row.location_id }), row.count);
        }
        return keys.map((key) => counts.get(cacheKeyFn(key)) ?? 0);
      },
      { cacheKeyFn },
    );
  }

  /** One location's orders, newest first; pages asked for many locations in one request share one query. */
  async listForLocation(locationId: string, args: PageArgs, range: TimeRange) {
    const page = readPage(args, isInstantAndUuid);
    if (!isUuid(locationId)) return connection([], page, (row: SalesOrder) => [row.orderedAt.toISOString(), row.id], async () => 0);
    const window = { from: range.from ?? null, to: range.to ?? null };
    const rows = await this.locationPages.load({ locationId, take: page.take, after: page.after, ...window });
    return connection(rows, page, (row) => [row.orderedAt.toISOString(), row.id], () => this.locationCounts.load({ locationId, ...window }));
  }

  order(id: string): Promise<SalesOrder | null> {
    return this.orders.load(id);
  }

  linesOf(orderId: string): Promise<SalesOrderLine[]> {
    return this.lines.load(orderId);
  }

  async list(args: PageArgs, filter: OrderFilter = {}) {
    const page = readPage(args, isInstantAndUuid);
    for (const [name, ids] of [['locationIds', filter.locationIds], ['campaignIds', filter.campaignIds]] as const) {
      const bad = ids?.find((id) => !isUuid(id));
      if (bad) throw graphQLError('BAD_USER_INPUT', `${name} contains ${JSON.stringify(bad)}, which is not an id`, { argumentName: 'filter' });
    }
    const where: Prisma.SalesOrderWhereInput = {
      status: 'CONFIRMED',
      ...(filter.locationIds ? { locationId: { in: filter.locationIds } } : {}),
      // Besides the filter's (each already checked in scope): a list never leaves the caller's locations.
      ...(this.visible ? { AND: [{ locationId: { in: [...this.visible] } }] } : {}),
      ...(filter.campaignIds ? { campaignId: { in: filter.campaignIds } } : {}),
      ...(filter.from || filter.to ? { orderedAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
    };
    const after: Prisma.SalesOrderWhereInput = page.after
      ? { OR: [{ orderedAt: { lt: new Date(page.after[0]) } }, { orderedAt: new Date(page.after[0]), id: { lt: page.after[1] } }] }
      : {};
    const rows = await this.prisma.salesOrder.findMany({ where: { AND: [where, after] }, orderBy: [{ orderedAt: 'desc' }, { id: 'desc' }], take: page.take });
    rows.forEach((row) => this.orders.prime(row.id, row));
    return connection(rows, page, (row) => [row.orderedAt.toISOString(), row.id], () => this.prisma.salesOrder.count({ where }));
  }
}
