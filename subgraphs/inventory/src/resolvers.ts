import { mutationPayload, scalarResolvers } from '@joinery/core';
import type { GroupEntities, GroupKeys } from './analytics/analytics-models';
import type { Context } from './context';
import type { LocationModel, ProductModel } from './models';
import type { Resolvers } from './generated/resolvers-types';
import { availableOf } from './stock-events';
import { sumShortfall } from './transfer-service';

/** A report row's location and product: attached by the service, loaded here only if it did not. */
const groupRow = {
  location: (row: GroupKeys & GroupEntities, _args: unknown, { catalog }: Context) =>
    (row.location !== undefined ? row.location : row.locationId ? catalog.location(row.locationId) : null),
  product: (row: GroupKeys & GroupEntities, _args: unknown, { catalog }: Context) =>
    (row.product !== undefined ? row.product : row.sku ? catalog.product(row.sku) : null),
};

/** Thin: each resolver translates GraphQL to one service call. */
export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    locations: (_root, args, { catalog }) => catalog.listLocations(args, args.filter ?? {}),
    location: (_root, { id }, { catalog }) => catalog.locationReference(id),
    product: (_root, { sku }, { catalog }) => catalog.product(sku),
    products: (_root, args, { catalog }) => catalog.listProducts(args, args.filter ?? {}),
    stockChange: (_root, { id }, { stock }) => stock.recordedChange(id),
    lowStockAlert: (_root, { id }, { stock }) => stock.recordedLowStockAlert(id),
    transfer: (_root, { id }, { transfers }) => transfers.transfer(id),
    transfers: (_root, args, { transfers }) => transfers.list(args, args.filter ?? {}),
    inventoryStockValue: (_root, args, { analytics }) => analytics.stockValue(args),
    inventorySellThrough: (_root, args, { analytics }) => analytics.sellThrough(args),
    inventoryDaysOfSupply: (_root, args, { analytics }) => analytics.daysOfSupply(args),
    inventoryStockOuts: (_root, args, { analytics }) => analytics.stockOuts(args),
    inventorySlowMovers: (_root, args, { analytics }) => analytics.slowMovers(args),
  },
  Mutation: {
    createLocation: (_root, { input }, { catalog }) => mutationPayload(() => catalog.createLocation(input)),
    updateLocation: (_root, { input }, { catalog }) => mutationPayload(() => catalog.updateLocation(input)),
    createProduct: (_root, { input }, { catalog }) => mutationPayload(() => catalog.createProduct(input)),
    updateProduct: (_root, { input }, { catalog }) => mutationPayload(() => catalog.updateProduct(input)),
    adjustInventory: (_root, { input }, { stock }) => mutationPayload(() => stock.adjust(input)),
    setInventory: (_root, { input }, { stock }) => mutationPayload(() => stock.set(input)),
    changeInventoryState: (_root, { input }, { stock }) => mutationPayload(() => stock.changeState(input)),
    allocateSaleStock: async (_root, { input }, { stock }) => {
      const payload = await mutationPayload(() => stock.allocateSale(input));
      return { allocated: payload.userErrors.length === 0, userErrors: payload.userErrors };
    },
    restockReturn: async (_root, { input }, { returns }) => {
      const payload = await mutationPayload(() => returns.restock(input));
      return { restocked: payload.userErrors.length === 0, userErrors: payload.userErrors };
    },
    createTransfer: (_root, { input }, { transfers }) => mutationPayload(() => transfers.create(input)),
    shipTransfer: (_root, { input }, { transfers }) => mutationPayload(() => transfers.ship(input)),
    receiveTransfer: (_root, { input }, { transfers }) => mutationPayload(() => transfers.receive(input)),
    cancelTransfer: (_root, { input }, { transfers }) => mutationPayload(() => transfers.cancel(input)),
  },
  Location: {
    __resolveReference: (reference, { catalog }) => catalog.locationReference(reference.id),
    address: (location) => ({
      line1: location.addressLine1,
      line2: location.addressLine2,
      city: location.city,
      region: location.region,
      postalCode: location.postalCode,
      country: location.country,
    }),
    inventory: (location, args, { stock }) => stock.levelsAtLocation(location.id, args, args.belowReorderPoint ?? false),
    transfers: (location, args, { transfers }) => transfers.atLocation(location.id, args, args.statuses),
    movements: (location, args, { history }) => history.movements({ locationId: location.id }, args, args.filter),
  },
  Product: {
    __resolveReference: (reference, { catalog }) => catalog.product(reference.sku),
    inventory: (product, _args, { stock }) => stock.levelsOfProduct(product.sku),
    availableTotal: async (product, _args, { stock }) => (await stock.levelsOfProduct(product.sku)).reduce((sum, level) => sum + availableOf(level), 0),
    onHandTotal: async (product, _args, { stock }) => (await stock.levelsOfProduct(product.sku)).reduce((sum, level) => sum + level.onHand, 0),
    movements: (product, args, { history }) => history.movements({ sku: product.sku }, args, args.filter),
  },
  InventoryLevel: {
    id: (level) => `${level.locationId}:${level.sku}`,
    location: async (level, _args, { catalog }) => (await catalog.location(level.locationId))!,
    product: async (level, _args, { catalog }) => (await catalog.product(level.sku))!,
    available: (level) => availableOf(level),
    atOrBelowReorderPoint: (level) => availableOf(level) <= level.reorderPoint,
    movements: (level, args, { history }) => history.movements({ locationId: level.locationId, sku: level.sku }, args, args.filter),
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
    __resolveReference: (reference, { transfers }) => transfers.transfer(reference.id),
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
