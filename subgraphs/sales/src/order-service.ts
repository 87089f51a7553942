import DataLoader from 'dataloader';
import { connection, graphQLError, isInstantAndUuid, isUuid, readPage, type PageArgs } from '@joinery/core';
import type { Prisma, PrismaClient, SalesOrder, SalesOrderLine } from './generated/prisma/client';
import type { TimeRange } from './summary-service';

export interface OrderFilter extends TimeRange {
  locationIds?: string[] | null;
  campaignIds?: string[] | null;
}

/** Reads of confirmed orders. Pending and rejected orders are never shown. */
export class OrderService {
  private readonly orders: DataLoader<string, SalesOrder | null>;
  private readonly lines: DataLoader<string, SalesOrderLine[]>;

  constructor(private readonly prisma: PrismaClient) {
    this.orders = new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await prisma.salesOrder.findMany({ where: { id: { in: valid }, status: 'CONFIRMED' } }) : [];
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    this.lines = new DataLoader(async (orderIds) => {
      const rows = await prisma.salesOrderLine.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: [{ orderId: 'asc' }, { lineNumber: 'asc' }] });
      const byOrder = new Map<string, SalesOrderLine[]>();
      for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
      return orderIds.map((id) => byOrder.get(id) ?? []);
    });
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
