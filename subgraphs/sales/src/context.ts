import type { PrismaClient } from './generated/prisma/client';
import type { LocationDirectory } from './location-directory';
import { OrderService } from './order-service';
import type { ReturnRecorder } from './return-recorder';
import { ReturnService } from './return-service';
import type { SaleRecorder } from './sale-recorder';
import { SalesReportService } from './sales-report-service';
import { SummaryService } from './summary-service';

export interface Context {
  /** Who the request names (joinery-actor); recorded on returns, forwarded to inventory. */
  actor: string;
  orders: OrderService;
  returns: ReturnService;
  summaries: SummaryService;
  reports: SalesReportService;
  sales: SaleRecorder;
  returnRecorder: ReturnRecorder;
}

/** Per-request context: read services hold this request's DataLoaders; the recorders are shared. */
export function createContext(
  prisma: PrismaClient,
  shared: { sales: SaleRecorder; returns: ReturnRecorder; locations: LocationDirectory },
  actor: string,
): Context {
  const orders = new OrderService(prisma);
  return {
    actor,
    orders,
    returns: new ReturnService(prisma, orders),
    summaries: new SummaryService(prisma),
    reports: new SalesReportService(prisma, shared.locations),
    sales: shared.sales,
    returnRecorder: shared.returns,
  };
}
