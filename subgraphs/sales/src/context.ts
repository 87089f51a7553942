import type { Identity } from '@joinery/core';
import type { PrismaClient } from './generated/prisma/client';
import type { LocationDirectory } from './location-directory';
import { OrderService } from './order-service';
import type { ReturnRecorder } from './return-recorder';
import { ReturnService } from './return-service';
import type { SaleRecorder } from './sale-recorder';
import { canonicalIdentity, visibleLocations } from './sales-access';
import { SalesReportService } from './sales-report-service';
import { SummaryService } from './summary-service';

export interface Context {
  /**
   * Who the request acts for, as the router signed it (locations in canonical case): checked by
   * every resolver (see sales-access.ts); its actor is recorded on returns and forwarded to inventory.
   */
  identity: Identity;
  orders: OrderService;
  returns: ReturnService;
  summaries: SummaryService;
  reports: SalesReportService;
  sales: SaleRecorder;
  returnRecorder: ReturnRecorder;
}

/**
 * Per-request context: read services hold this request's DataLoaders and cover only the caller's
 * locations in lists and aggregates; the recorders are shared.
 */
export function createContext(
  prisma: PrismaClient,
  shared: { sales: SaleRecorder; returns: ReturnRecorder; locations: LocationDirectory },
  caller: Identity,
): Context {
  const identity = canonicalIdentity(caller);
  const visible = visibleLocations(identity);
  const orders = new OrderService(prisma, visible);
  return {
    identity,
    orders,
    returns: new ReturnService(prisma, orders),
    summaries: new SummaryService(prisma, visible),
    reports: new SalesReportService(prisma, shared.locations, visible),
    sales: shared.sales,
    returnRecorder: shared.returns,
  };
}
