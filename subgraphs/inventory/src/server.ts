import { fileURLToPath } from 'node:url';
import { buildSubgraphServer, openDatabase, OutboxRelay, type Database, type DatabaseTarget, type EventBus, type SubgraphServer } from '@joinery/core';
import { createContext } from './context';
import { pendingMigrations } from './pending-migrations';
import { PrismaClient } from './generated/prisma/client';
import { resolvers } from './resolvers';
import { topicOf } from './stock-events';

export const INVENTORY_SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
export const INVENTORY_MIGRATIONS = fileURLToPath(new URL('../../../prisma/inventory/migrations', import.meta.url));

export interface InventorySubgraph extends SubgraphServer {
  prisma: PrismaClient;
  database: Database;
  /** Publishes recorded events to the bus (stock on inventory.stock, transfers on inventory.transfers); absent when built without one. */
  relay?: OutboxRelay;
}

export interface InventoryOptions {
  database: Database;
  /** Where stock events are published. Without one they are recorded and wait in the outbox. */
  bus?: EventBus;
  /** Outbox relay poll interval in ms (NOTIFY wakes it sooner). Default 1000. */
  relayPollIntervalMs?: number;
}

/** Builds the inventory subgraph over a migrated database; never listens by itself. */
export async function buildInventorySubgraph(options: InventoryOptions): Promise<InventorySubgraph> {
  const prisma = new PrismaClient({ adapter: options.database.adapter });
  const server = await buildSubgraphServer({
    name: 'inventory',
    schemaPath: INVENTORY_SCHEMA_PATH,
    resolvers,
    database: options.database,
    bus: options.bus,
    createContext: ({ identity }) => createContext(prisma, identity),
  });
  const relay = options.bus
    ? new OutboxRelay({ name: 'inventory', database: options.database, bus: options.bus, topicOf: (event) => topicOf(event.type), pollIntervalMs: options.relayPollIntervalMs })
    : undefined;
  relay?.start();
  return {
    ...server,
    prisma,
    database: options.database,
    relay,
    async stop() {
      await server.stop();
      await relay?.stop();
      await prisma.$disconnect();
      await options.database.close();
    },
  };
}

export function openInventoryDatabase(target: DatabaseTarget): Promise<Database> {
  return openDatabase(target, INVENTORY_MIGRATIONS);
}

/** Inventory migrations `target` has not applied, found without changing it (openInventoryDatabase would apply them). */
export function pendingInventoryMigrations(target: DatabaseTarget): Promise<string[]> {
  return pendingMigrations(target, INVENTORY_MIGRATIONS);
}

export { verifyStockLevels, type StockMismatch, type StockVerification } from './stock-verification';
export { rebuildStockValueRollups } from './analytics/stock-value';
