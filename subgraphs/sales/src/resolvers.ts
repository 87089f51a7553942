import { mutationPayload, scalarResolvers } from '@joinery/core';
import { DateScalar } from './scalars';
import type { Resolvers } from './generated/resolvers-types';

/** Thin: each resolver translates GraphQL to one service call. */
export const resolvers: Resolvers = {
  ...scalarResolvers,
  Date: DateScalar,
  Query: {
    order: (_root, { id }, { orders }) => orders.order(id),
    orders: (_root, args, { orders }) => orders.list(args, args.filter ?? {}),
    salesReport: (_root, { filter, groupBy }, { reports }) => reports.report(filter ?? {}, groupBy),
  },
  Mutation: {
    recordSale: (_root, { input }, { sales, actor }) => mutationPayload(() => sales.record(input, actor)),
    returnSaleLines: (_root, { input }, { returnRecorder, actor }) => mutationPayload(() => returnRecorder.record(input, actor)),
  },
  SalesOrder: {
    __resolveReference: (reference, { orders }) => orders.order(reference.id),
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
    __resolveReference: (reference, { returns }) => returns.get(reference.id),
  },
  Location: {
    __resolveReference: (reference) => ({ id: reference.id }),
    salesSummary: (location, range, { summaries }) => summaries.location(location.id, range),
    sales: (location, { from, to, ...page }, { orders }) => orders.listForLocation(location.id, page, { from, to }),
  },
  Product: {
    __resolveReference: (reference) => ({ sku: reference.sku }),
    salesSummary: (product, range, { summaries }) => summaries.product(product.sku, range),
  },
};
