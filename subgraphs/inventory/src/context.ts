import type { PrismaClient } from './generated/prisma/client';
import { createLoaders, type Loaders } from './loaders';
import { CatalogService } from './catalog-service';
import { StockService } from './stock-service';

export interface Context {
  loaders: Loaders;
  catalog: CatalogService;
  stock: StockService;
}

/** Per-request context: services share the client, loaders are fresh so nothing is cached across requests. */
export function createContext(prisma: PrismaClient): Context {
  const loaders = createLoaders(prisma);
  return { loaders, catalog: new CatalogService(prisma, loaders), stock: new StockService(prisma, loaders) };
}
