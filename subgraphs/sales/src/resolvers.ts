import { mutationPayload, requirePermission, scalarResolvers } from '@joinery/core';
import { DateScalar } from './scalars';
import { readableOrder, requireAtLocation, requireLocations, requireOrder, requireReturnable } from './sales-access';
import type { Resolvers } from './generated/resolvers-types';

/**
 * Thin: each resolver checks what the caller may do (sales-access.ts, before any read or write
 * the request makes) and translates GraphQL to one service call. Lists and aggregates are scoped
 * to the caller's locations by the context's services.
 */
export const resolvers: Resolvers = {
  ...scalarResolvers,
  Date: DateScalar,
  Query: {
    order: async (_root, { id }, { orders, identity }) => {
      requirePermission(identity, 'orders:read');
      return readableOrder(identity, await orders.order(id));
    },
    orders: (_root, args, { orders, identity }) => {
      requirePermission(identity, 'orders:read');
      requireLocations(identity, args.filter?.locationIds);
      return orders.list(args, args.filter ?? {});
    },
    salesReport: (_root, { filter, groupBy }, { reports, identity }) => {
      requirePermission(identity, 'sales:aggregates');
      requireLocations(identity, filter?.locationIds);
      return reports.report(filter ?? {}, groupBy);
    },
  },
  Mutation: {
    // Refusals throw before the payload is shaped: a top-level FORBIDDEN, nothing written or asked of inventory.
    recordSale: (_root, { input }, { sales, identity }) => {
      requireAtLocation(identity, 'sales:record', input.locationId);
      return mutationPayload(() => sales.record(input, identity));
    },
    returnSaleLines: async (_root, { input }, { returnRecorder, orders, identity }) => {
      await requireReturnable(identity, input, orders);
      return mutationPayload(() => returnRecorder.record(input, identity));
    },
  },
  SalesOrder: {
    __resolveReference: async (reference, { orders, identity }) => {
      requirePermission(identity, 'orders:read');
      return readableOrder(identity, await orders.order(reference.id));
    },
    location: (order) => ({ id: order.locationId }),
    lines: (order, _args, { orders }) => orders.linesOf(order.id),
    campaign: (order) => (order.campaignId ? { id: order.campaignId } : null),
    returns: (order, _args, { returns }) => returns.ofOrder(order),
  },
  SalesOrderLine: {
    product: (line) => ({ sku: line.sku }),
    returnedQuantity: (line, _args, { returns }) => returns.returnedQuantity(line.orderId, line.sku),
  },
  SalesReturn: {
    // A return is read as part of its order: orders:read at the order's location.
    __resolveReference: async (reference, { returns, identity }) => {
      requirePermission(identity, 'orders:read');
      const found = await returns.get(reference.id);
      if (found) requireOrder(identity, found.order);
      return found;
    },
  },
  Location: {
    __resolveReference: (reference) => ({ id: reference.id }),
    salesSummary: (location, range, { summaries, identity }) => {
      requireAtLocation(identity, 'sales:aggregates', location.id);
      return summaries.location(location.id, range);
    },
    // A list of individual orders, not figures: orders:read at the location.
    sales: (location, { from, to, ...page }, { orders, identity }) => {
      requireAtLocation(identity, 'orders:read', location.id);
      return orders.listForLocation(location.id, page, { from, to });
    },
  },
  Product: {
    __resolveReference: (reference) => ({ sku: reference.sku }),
    // Spans locations: counted over the caller's locations only (SummaryService's scope).
    salesSummary: (product, range, { summaries, identity }) => {
      requirePermission(identity, 'sales:aggregates');
      return summaries.product(product.sku, range);
    },
  },
};
