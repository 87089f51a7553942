import { fileURLToPath } from 'node:url';
import { buildSubgraphServer, openDatabase, type Database, type DatabaseTarget, type SubgraphServer } from '@joinery/core';
import { createContext } from './context';
import { PrismaClient } from './generated/prisma/client';
import { resolvers } from './resolvers';

export const INVENTORY_SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
export const INVENTORY_MIGRATIONS = fileURLToPath(new URL('../../../prisma/inventory/migrations', import.meta.url));

export interface InventorySubgraph extends SubgraphServer {
  prisma: PrismaClient;
  database: Database;
}

/** Builds the inventory subgraph over a migrated database; never listens by itself. */
export async function buildInventorySubgraph(options: { database: Database }): Promise<InventorySubgraph> {
  const prisma = new PrismaClient({ adapter: options.database.adapter });
  const server = await buildSubgraphServer({
    name: 'inventory',
    schemaPath: INVENTORY_SCHEMA_PATH,
    resolvers,
    createContext: () => createContext(prisma),
  });
  return {
    ...server,
    prisma,
    database: options.database,
    async stop() {
      await server.stop();
      await prisma.$disconnect();
      await options.database.close();
    },
  };
}

export function openInventoryDatabase(target: DatabaseTarget): Promise<Database> {
  return openDatabase(target, INVENTORY_MIGRATIONS);
}
