import DataLoader from 'dataloader';
import { isUuid } from '@joinery/core';
import type { PrismaClient, SalesOrder } from './generated/prisma/client';
import type { SalesReturnModel } from './models';
import type { OrderService } from './order-service';
import { returnModel, type StoredReturn } from './return-recorder';

/** Reads of completed returns. Pending and rejected returns are never shown. */
export class ReturnService {
  private readonly byOrder: DataLoader<string, StoredReturn[]>;
  private readonly byId: DataLoader<string, StoredReturn | null>;
  private readonly returned: DataLoader<string, Map<string, number>>;

  constructor(prisma: PrismaClient, private readonly orders: OrderService) {
    this.byOrder = new DataLoader(async (orderIds) => {
      const rows = await prisma.salesReturn.findMany({
        where: { orderId: { in: [...orderIds] }, status: 'COMPLETED' },
        include: { lines: true },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      rows.forEach((row) => this.byId.prime(row.id, row));
      return orderIds.map((id) => rows.filter((row) => row.orderId === id));
    });
    // UUIDs match whatever their case (see OrderService.orders).
    this.byId = new DataLoader(
      async (ids) => {
        const valid = ids.filter(isUuid);
        const rows = valid.length ? await prisma.salesReturn.findMany({ where: { id: { in: valid }, status: 'COMPLETED' }, include: { lines: true } }) : [];
        const byId = new Map(rows.map((row) => [row.id.toLowerCase(), row]));
        return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
      },
      { cacheKeyFn: (id) => id.toLowerCase() },
    );
    this.returned = new DataLoader(async (orderIds) => {
      const rows = await prisma.$queryRaw<{ order_id: string; sku: string; quantity: number }[]>`
        SELECT ret.order_id::text AS order_id, line.sku, sum(line.quantity)::int AS quantity
        FROM sales_return_lines AS line JOIN sales_returns AS ret ON ret.id = line.return_id
        WHERE ret.order_id = ANY(${[...orderIds]}::uuid[]) AND ret.status = 'COMPLETED'
        GROUP BY ret.order_id, line.sku`;
      return orderIds.map((id) => new Map(rows.filter((row) => row.order_id === id).map((row) => [row.sku, row.quantity])));
    });
  }

  async ofOrder(order: SalesOrder): Promise<SalesReturnModel[]> {
    return (await this.byOrder.load(order.id)).map((stored) => returnModel(stored, order));
  }

  async get(id: string): Promise<SalesReturnModel | null> {
    const stored = await this.byId.load(id);
    const order = stored && (await this.orders.order(stored.orderId));
    return stored && order ? returnModel(stored, order) : null;
  }

  /** Units of an order's sku taken back by completed returns. */
  async returnedQuantity(orderId: string, sku: string): Promise<number> {
    return (await this.returned.load(orderId)).get(sku) ?? 0;
  }
}
