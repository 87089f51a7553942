import { mutationPayload, scalarResolvers } from '@joinery/core';
import type { Resolvers } from './generated/resolvers-types';

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
  },
  Mutation: {
    createLocation: (_root, { input }, { catalog }) => mutationPayload(() => catalog.createLocation(input)),
    updateLocation: (_root, { input }, { catalog }) => mutationPayload(() => catalog.updateLocation(input)),
    createProduct: (_root, { input }, { catalog }) => mutationPayload(() => catalog.createProduct(input)),
    updateProduct: (_root, { input }, { catalog }) => mutationPayload(() => catalog.updateProduct(input)),
    adjustInventory: (_root, { input }, { stock }) => mutationPayload(() => stock.adjust(input)),
    setInventory: (_root, { input }, { stock }) => mutationPayload(() => stock.set(input)),
    allocateSaleStock: async (_root, { input }, { stock }) => {
      const payload = await mutationPayload(() => stock.allocateSale(input));
      return { allocated: payload.userErrors.length === 0, userErrors: payload.userErrors };
    },
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
  },
  Product: {
    __resolveReference: (reference, { catalog }) => catalog.product(reference.sku),
    inventory: (product, _args, { stock }) => stock.levelsOfProduct(product.sku),
    availableTotal: async (product, _args, { stock }) => (await stock.levelsOfProduct(product.sku)).reduce((sum, level) => sum + level.onHand, 0),
    onHandTotal: async (product, _args, { stock }) => (await stock.levelsOfProduct(product.sku)).reduce((sum, level) => sum + level.onHand, 0),
  },
  InventoryLevel: {
    id: (level) => `${level.locationId}:${level.sku}`,
    location: async (level, _args, { catalog }) => (await catalog.location(level.locationId))!,
    product: async (level, _args, { catalog }) => (await catalog.product(level.sku))!,
    available: (level) => level.onHand,
    atOrBelowReorderPoint: (level) => level.onHand <= level.reorderPoint,
    movements: (level, args, { stock }) => stock.movements(level.locationId, level.sku, args),
  },
  StockChange: {
    location: async (event, _args, { catalog }) => (await catalog.location(event.payload.locationId))!,
    product: async (event, _args, { catalog }) => (await catalog.product(event.payload.sku))!,
    movement: async (event, _args, { stock }) => (await stock.movement(event.payload.movementId))!,
    delta: (event) => event.payload.delta,
    onHand: (event) => event.payload.onHand,
    available: (event) => event.payload.available,
    reorderPoint: (event) => event.payload.reorderPoint,
    reason: (event) => event.payload.reason,
    reference: (event) => event.payload.reference,
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
};
