import type { PrismaClient } from './generated/prisma/client';
import { OrderService } from './order-service';
import type { ReturnRecorder } from './return-recorder';
import { ReturnService } from './return-service';
import type { SaleRecorder } from './sale-recorder';
import { SummaryService } from './summary-service';

export interface Context {
  /** Who the request names (joinery-actor); recorded on returns, forwarded to inventory. */
  actor: string;
  orders: OrderService;
  returns: ReturnService;
  summaries: SummaryService;
  sales: SaleRecorder;
  returnRecorder: ReturnRecorder;
}

/** Per-request context: read services hold this request's DataLoaders; the recorders are shared. */
export function createContext(prisma: PrismaClient, recorders: { sales: SaleRecorder; returns: ReturnRecorder }, actor: string): Context {
  const orders = new OrderService(prisma);
  return { actor, orders, returns: new ReturnService(prisma, orders), summaries: new SummaryService(prisma), sales: recorders.sales, returnRecorder: recorders.returns };
}
