import type { PrismaClient } from './generated/prisma/client';
import { OrderService } from './order-service';
import type { SaleRecorder } from './sale-recorder';
import { SummaryService } from './summary-service';

export interface Context {
  orders: OrderService;
  summaries: SummaryService;
  sales: SaleRecorder;
}

/** Per-request context: read services hold this request's DataLoaders; the recorder is shared. */
export function createContext(prisma: PrismaClient, sales: SaleRecorder): Context {
  return { orders: new OrderService(prisma), summaries: new SummaryService(prisma), sales };
}
