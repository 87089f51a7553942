import { mutationPayload, scalarResolvers } from '@joinery/core';
import type { GroupEntities, GroupKeys } from './analytics/analytics-models';
import type { Context } from './context';
import type { LocationModel, ProductModel } from './models';
import type { Resolvers } from './generated/resolvers-types';
import { availableOf } from './stock-events';
import { sumShortfall } from './transfer-service';
import type { TransferEnd } from './access';

/**
 * A transfer step (ship, receive, cancel) may be taken by who holds `end` of the transfer: the
 * transfer is read first (ends never change) and checked before anything runs. An unknown id is
 * left to the service, which answers NOT_FOUND as a userError.
 */
async function checkTransferStep({ access, transfers }: Context, id: string, end: TransferEnd): Promise<void> {
  access.require('stock:write');
  const transfer = await transfers.transfer(id);
  if (transfer) access.requireTransfer(transfer, end);
}

/** A recorded event (stock change, low-stock alert) is its location's data: null when unknown, FORBIDDEN out of scope. */
function scopedEvent<T extends { payload: { locationId: string } }>({ access }: Context, event: T | null): T | null {
  if (event) access.requireAt('stock:read', event.payload.locationId);
  return event;
}

/** A product's levels at the caller's locations. */
async function levelsInScope({ access, stock }: Context, sku: string) {
  access.require('stock:read');
  return (await stock.levelsOfProduct(sku)).filter((level) => access.inScope(level.locationId));
}

/** A report row's location and product: attached by the service, loaded here only if it did not. */
const groupRow = {
  location: (row: GroupKeys & GroupEntities, _args: unknown, { catalog }: Context) =>
    (row.location !== undefined ? row.location : row.locationId ? catalog.location(row.locationId) : null),
  product: (row: GroupKeys & GroupEntities, _args: unknown, { catalog }: Context) =>
    (row.product !== undefined ? row.product : row.sku ? catalog.product(row.sku) : null),
};

/**
 * Thin: each resolver checks what the caller may do (Context.access: the permission matrix and
 * location scope, see access.ts), then translates GraphQL to one service call. Products are
 * catalogue, readable by every role; everything about stock belongs to a location and needs
 * `stock:read` there.
 */
export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    locations: (_root, args, { access, catalog }) => catalog.listLocations(args, args.filter ?? {}, access.scope()),
    location: (_root, { id }, { access, catalog }) => {
      access.requireLocation(id);
      return catalog.locationReference(id);
    },
    product: (_root, { sku }, { catalog }) => catalog.product(sku),
    products: (_root, args, { catalog }) => catalog.listProducts(args, args.filter ?? {}),
    stockChange: async (_root, { id }, context) => scopedEvent(context, await context.stock.recordedChange(id)),
    lowStockAlert: async (_root, { id }, context) => scopedEvent(context, await context.stock.recordedLowStockAlert(id)),
    transfer: async (_root, { id }, { access, transfers }) => {
      access.require('stock:read');
      const transfer = await transfers.transfer(id);
      if (transfer) access.requireTransfer(transfer, 'either');
      return transfer;
    },
    transfers: (_root, args, { access, transfers }) => {
      access.require('stock:read');
      const filter = args.filter ?? {};
      // Each location a filter names must be in scope; the list keeps transfers with either end in it.
      for (const id of [filter.originId, filter.destinationId, filter.locationId]) if (id != null) access.requireLocation(id);
      return transfers.list(args, filter, access.scope());
    },
    // The reports narrow themselves to the caller's locations (InventoryAnalytics.filter).
    inventoryStockValue: (_root, args, { access, analytics }) => {
      access.require('stock:read');
      return analytics.stockValue(args);
    },
    inventorySellThrough: (_root, args, { access, analytics }) => {
      access.require('stock:read');
      return analytics.sellThrough(args);
    },
    inventoryDaysOfSupply: (_root, args, { access, analytics }) => {
      access.require('stock:read');
      return analytics.daysOfSupply(args);
    },
    inventoryStockOuts: (_root, args, { access, analytics }) => {
      access.require('stock:read');
      return analytics.stockOuts(args);
    },
    inventorySlowMovers: (_root, args, { access, analytics }) => {
      access.require('stock:read');
      return analytics.slowMovers(args);
    },
  },
  Mutation: {
    // Refusals for permission throw FORBIDDEN before the service runs: nothing is changed, and
    // they are not userErrors (the client cannot fix its input to get past them).
    createLocation: (_root, { input }, { access, catalog }) => {
      access.require('catalog:write');
      return mutationPayload(() => catalog.createLocation(input));
    },
    updateLocation: (_root, { input }, { access, catalog }) => {
      access.require('catalog:write');
      return mutationPayload(() => catalog.updateLocation(input));
    },
    createProduct: (_root, { input }, { access, catalog }) => {
      access.require('catalog:write');
      return mutationPayload(() => catalog.createProduct(input));
    },
    updateProduct: (_root, { input }, { access, catalog }) => {
      access.require('catalog:write');
      return mutationPayload(() => catalog.updateProduct(input));
    },
    adjustInventory: (_root, { input }, { access, stock }) => {
      access.requireAt('stock:write', input.locationId);
      return mutationPayload(() => stock.adjust(input));
    },
    setInventory: (_root, { input }, { access, stock }) => {
      access.requireAt('stock:write', input.locationId);
      return mutationPayload(() => stock.set(input));
    },
    changeInventoryState: (_root, { input }, { access, stock }) => {
      access.requireAt('stock:write', input.locationId);
      return mutationPayload(() => stock.changeState(input));
    },
    // Only the sales subgraph (the service role) takes a sale's stock or restocks a return: users
    // record sales and returns through sales, which checks them.
    allocateSaleStock: async (_root, { input }, { access, stock }) => {
      access.require('internal');
      const payload = await mutationPayload(() => stock.allocateSale(input));
      return { allocated: payload.userErrors.length === 0, userErrors: payload.userErrors };
    },
    restockReturn: async (_root, { input }, { access, returns }) => {
      access.require('internal');
      const payload = await mutationPayload(() => returns.restock(input));
      return { restocked: payload.userErrors.length === 0, userErrors: payload.userErrors };
    },
    createTransfer: (_root, { input }, { access, transfers }) => {
      access.require('stock:write');
      // A draft commits stock at its origin (and its refusals name the origin's available stock):
      // only someone at the origin may create one. A store wanting stock asks the origin's staff.
      access.requireTransfer(input, 'origin');
      return mutationPayload(() => transfers.create(input));
    },
    shipTransfer: async (_root, { input }, context) => {
      await checkTransferStep(context, input.id, 'origin');
      return mutationPayload(() => context.transfers.ship(input));
    },
    receiveTransfer: async (_root, { input }, context) => {
      await checkTransferStep(context, input.id, 'destination');
      return mutationPayload(() => context.transfers.receive(input));
    },
    cancelTransfer: async (_root, { input }, context) => {
      await checkTransferStep(context, input.id, 'either');
      return mutationPayload(() => context.transfers.cancel(input));
    },
  },
  Location: {
    // As `location(id)`: another subgraph's reference, or a forged one, gets no more than the root
    // field. Async so a refusal fails this representation alone, not the whole `_entities` batch.
    __resolveReference: async (reference, { access, catalog }) => {
      access.requireLocation(reference.id);
      return catalog.locationReference(reference.id);
    },
    address: (location) => ({
      line1: location.addressLine1,
      line2: location.addressLine2,
      city: location.city,
      region: location.region,
      postalCode: location.postalCode,
      country: location.country,
    }),
    // A location out of scope can be reached (a transfer's other end): its name, not its stock.
    inventory: (location, args, { access, stock }) => {
      access.requireAt('stock:read', location.id);
      return stock.levelsAtLocation(location.id, args, args.belowReorderPoint ?? false);
    },
    transfers: (location, args, { access, transfers }) => {
      access.requireAt('stock:read', location.id);
      return transfers.atLocation(location.id, args, args.statuses);
    },
    movements: (location, args, { access, history }) => {
      access.requireAt('stock:read', location.id);
      return history.movements({ locationId: location.id }, args, args.filter);
    },
  },
  Product: {
    __resolveReference: (reference, { catalog }) => catalog.product(reference.sku),
    // A product is catalogue; its stock is location data: levels, totals and movements cover the caller's locations only.
    inventory: (product, _args, context) => levelsInScope(context, product.sku),
    availableTotal: async (product, _args, context) => (await levelsInScope(context, product.sku)).reduce((sum, level) => sum + availableOf(level), 0),
    onHandTotal: async (product, _args, context) => (await levelsInScope(context, product.sku)).reduce((sum, level) => sum + level.onHand, 0),
    movements: (product, args, { access, history }) => {
      access.require('stock:read');
      return history.movements({ sku: product.sku }, args, args.filter, access.scope());
    },
  },
  InventoryLevel: {
    id: (level) => `${level.locationId}:${level.sku}`,
    location: async (level, _args, { catalog }) => (await catalog.location(level.locationId))!,
    product: async (level, _args, { catalog }) => (await catalog.product(level.sku))!,
    available: (level) => availableOf(level),
    atOrBelowReorderPoint: (level) => availableOf(level) <= level.reorderPoint,
    movements: (level, args, { access, history }) => {
      access.requireAt('stock:read', level.locationId);
      return history.movements({ locationId: level.locationId, sku: level.sku }, args, args.filter);
    },
  },
  StockChange: {
    location: async (event, _args, { catalog }) => (await catalog.location(event.payload.locationId))!,
    product: async (event, _args, { catalog }) => (await catalog.product(event.payload.sku))!,
    movement: async (event, _args, { stock }) => (await stock.movement(event.payload.movementId))!,
    // Events recorded before states existed carry only the v1 fields: their only state was on-hand.
    state: (event) => event.payload.state ?? 'AVAILABLE',
    delta: (event) => event.payload.delta,
    onHand: (event) => event.payload.onHand,
    available: (event) => event.payload.available,
    availableDelta: (event) => event.payload.availableDelta ?? event.payload.delta,
    committed: (event) => event.payload.committed ?? 0,
    incoming: (event) => event.payload.incoming ?? 0,
    damaged: (event) => event.payload.damaged ?? 0,
    reorderPoint: (event) => event.payload.reorderPoint,
    reason: (event) => event.payload.reason,
    reference: (event) => event.payload.reference,
    actor: (event) => event.payload.actor ?? 'system',
  },
  LowStockAlert: {
    status: (event) => event.payload.status,
    location: async (event, _args, { catalog }) => (await catalog.location(event.payload.locationId))!,
    product: async (event, _args, { catalog }) => (await catalog.product(event.payload.sku))!,
    onHand: (event) => event.payload.onHand,
    available: (event) => event.payload.available,
    reorderPoint: (event) => event.payload.reorderPoint,
  },
  StockMovement: {
    id: (movement) => String(movement.id),
    location: async (movement, _args, { catalog }) => (await catalog.location(movement.locationId))!,
    product: async (movement, _args, { catalog }) => (await catalog.product(movement.sku))!,
  },
  InventoryTransfer: {
    __resolveReference: async (reference, { access, transfers }) => {
      access.require('stock:read');
      const transfer = await transfers.transfer(reference.id);
      if (transfer) access.requireTransfer(transfer, 'either');
      return transfer;
    },
    origin: async (transfer, _args, { catalog }) => (await catalog.location(transfer.originId))!,
    destination: async (transfer, _args, { catalog }) => (await catalog.location(transfer.destinationId))!,
    shortfall: (transfer) => sumShortfall(transfer.lines),
  },
  StockValueRow: groupRow,
  SellThroughRow: groupRow,
  DaysOfSupplyRow: groupRow,
  SlowMoverRow: groupRow,
  LevelStockOuts: {
    location: (row, _args, { catalog }) => row.location ?? (catalog.location(row.locationId) as Promise<LocationModel>),
    product: (row, _args, { catalog }) => row.product ?? (catalog.product(row.sku) as Promise<ProductModel>),
  },
  InventoryTransferLine: {
    product: async (line, _args, { catalog }) => (await catalog.product(line.sku))!,
  },
};
