import { fileURLToPath } from 'node:url';
import { buildSubgraphServer, openDatabase, type Database, type DatabaseTarget, type InventoryDirectory, type SubgraphServer } from '@joinery/core';
import { createContext } from './context';
import { PrismaClient } from './generated/prisma/client';
import { resolvers } from './resolvers';

export const MARKETING_SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
export const MARKETING_MIGRATIONS = fileURLToPath(new URL('../../../prisma/marketing/migrations', import.meta.url));

export interface MarketingSubgraph extends SubgraphServer {
  prisma: PrismaClient;
}

/** Builds the marketing subgraph; never listens by itself. */
export async function buildMarketingSubgraph(deps: { database: Database; inventory: InventoryDirectory }): Promise<MarketingSubgraph> {
  const prisma = new PrismaClient({ adapter: deps.database.adapter });
  const server = await buildSubgraphServer({
    name: 'marketing',
    schemaPath: MARKETING_SCHEMA_PATH,
    resolvers,
    createContext: () => createContext(prisma, deps.inventory),
  });
  return {
    ...server,
    prisma,
    async stop() {
      await server.stop();
      await prisma.$disconnect();
      await deps.database.close();
    },
  };
}

export function openMarketingDatabase(target: DatabaseTarget): Promise<Database> {
  return openDatabase(target, MARKETING_MIGRATIONS);
}
