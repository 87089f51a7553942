import type { Identity } from '@joinery/core';
import type { PrismaClient } from './generated/prisma/client';
import { InventoryAccess } from './access';
import { InventoryAnalytics } from './analytics/inventory-analytics';
import { createLoaders, type Loaders } from './loaders';
import { CatalogService } from './catalog-service';
import { MovementHistory } from './movement-history';
import { ReturnsService } from './returns-service';
import { StockService } from './stock-service';
import { TransferService } from './transfer-service';

export interface Context {
  /** Who the request acts for, as the router (or a calling subgraph) signed it. */
  identity: Identity;
  /** The permission matrix and location scope applied to inventory: every resolver checks here. */
  access: InventoryAccess;
  /** Recorded as who made a change (movements, transfers, returns): `identity.actor`. */
  actor: string;
  loaders: Loaders;
  catalog: CatalogService;
  stock: StockService;
  history: MovementHistory;
  transfers: TransferService;
  returns: ReturnsService;
  analytics: InventoryAnalytics;
}

/** Per-request context: services share the client, loaders are fresh so nothing is cached across requests. */
export function createContext(prisma: PrismaClient, identity: Identity): Context {
  const loaders = createLoaders(prisma);
  const { actor } = identity;
  const access = new InventoryAccess(identity);
  return {
    identity,
    access,
    actor,
    loaders,
    catalog: new CatalogService(prisma, loaders),
    stock: new StockService(prisma, loaders, actor),
    history: new MovementHistory(loaders),
    transfers: new TransferService(prisma, loaders, actor),
    returns: new ReturnsService(prisma, loaders, actor),
    analytics: new InventoryAnalytics(prisma, loaders, access),
  };
}
