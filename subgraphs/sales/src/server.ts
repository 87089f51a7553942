import { fileURLToPath } from 'node:url';
import {
  buildSubgraphServer,
  createSubgraphClient,
  logger,
  openDatabase,
  OutboxRelay,
  type Database,
  type DatabaseTarget,
  type EventBus,
  type SubgraphServer,
} from '@joinery/core';
import { createCampaignDirectory, type CampaignDirectory } from './campaign-directory';
import { createContext } from './context';
import { PrismaClient } from './generated/prisma/client';
import { createLocationDirectory, type LocationDirectory } from './location-directory';
import { resolvers } from './resolvers';
import { ReturnRecorder } from './return-recorder';
import { createSaleCatalogue, type SaleCatalogue } from './sale-catalogue';
import { SaleRecorder } from './sale-recorder';
import { SALES_TOPIC } from './sales-events';
import { createStockAllocator, type StockAllocator } from './stock-allocator';
import { createStockRestocker, type StockRestocker } from './stock-restocker';

export { rebuildSalesRollups } from './sales-rollups';

export const SALES_SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
export const SALES_MIGRATIONS = fileURLToPath(new URL('../../../prisma/sales/migrations', import.meta.url));

/**
 * The sales subgraph's links to the subgraphs that own stock and campaigns, over their GraphQL
 * endpoints. Every call is signed as the sales service (`service:sales`): allocating a sale's
 * stock and looking up locations, products and campaigns is sales' own work, allowed for whoever
 * the sale was allowed to; the user behind it travels as the actor.
 */
export function connectToOwners(urls: { inventory: string; marketing: string }, timeoutMs: number): Pick<SalesDependencies, 'inventory' | 'locations' | 'allocator' | 'restocker' | 'campaigns'> {
  const inventory = createSubgraphClient('inventory', urls.inventory, timeoutMs, { caller: 'sales' });
  return {
    inventory: createSaleCatalogue(inventory),
    locations: createLocationDirectory(inventory),
    allocator: createStockAllocator(inventory),
    restocker: createStockRestocker(inventory),
    campaigns: createCampaignDirectory(createSubgraphClient('marketing', urls.marketing, timeoutMs, { caller: 'sales' })),
  };
}

export interface SalesDependencies {
  database: Database;
  inventory: SaleCatalogue;
  /** Locations' current region and kind, for reports grouped by REGION or CHANNEL. */
  locations: LocationDirectory;
  allocator: StockAllocator;
  restocker: StockRestocker;
  campaigns: CampaignDirectory;
  /** How often to finish sales and returns interrupted between sales and stock, in ms; off when omitted. */
  recoveryIntervalMs?: number;
  /** Where order events are published. Without one they are recorded and wait in the outbox. */
  bus?: EventBus;
  /** Outbox relay poll interval in ms (NOTIFY wakes it sooner). Default 1000. */
  relayPollIntervalMs?: number;
}

export interface SalesSubgraph extends SubgraphServer {
  prisma: PrismaClient;
  database: Database;
  recorder: SaleRecorder;
  returns: ReturnRecorder;
  /** Publishes recorded order events to the bus; absent when built without one. */
  relay?: OutboxRelay;
}

/** Builds the sales subgraph; never listens by itself. */
export async function buildSalesSubgraph(deps: SalesDependencies): Promise<SalesSubgraph> {
  const prisma = new PrismaClient({ adapter: deps.database.adapter });
  const recorder = new SaleRecorder(prisma, deps.inventory, deps.allocator, deps.campaigns);
  const returns = new ReturnRecorder(prisma, deps.inventory, deps.restocker);
  const server = await buildSubgraphServer({
    name: 'sales',
    schemaPath: SALES_SCHEMA_PATH,
    resolvers,
    database: deps.database,
    bus: deps.bus,
    createContext: ({ identity }) => createContext(prisma, { sales: recorder, returns, locations: deps.locations }, identity),
  });
  const relay = deps.bus
    ? new OutboxRelay({ name: 'sales', database: deps.database, bus: deps.bus, topicOf: () => SALES_TOPIC, pollIntervalMs: deps.relayPollIntervalMs })
    : undefined;
  relay?.start();
  let timer: NodeJS.Timeout | undefined;
  let sweeping = false;
  if (deps.recoveryIntervalMs) {
    timer = setInterval(async () => {
      if (sweeping) return;
      sweeping = true;
      // Each sweep on its own: a failing sale sweep does not stop the returns from being resumed.
      await sweep('sales', async () => {
        const outcome = await recorder.resumePending(deps.recoveryIntervalMs!);
        if (outcome.confirmed || outcome.rejected) logger('sales').info(outcome, 'resumed pending sales');
        if (outcome.stillPending) logger('sales').warn(outcome, 'sales still pending after a retry; will try again');
      });
      await sweep('returns', async () => {
        const returned = await returns.resumePending(deps.recoveryIntervalMs!);
        if (returned.completed || returned.rejected) logger('sales').info(returned, 'resumed pending returns');
        if (returned.stillPending) logger('sales').warn(returned, 'returns still pending after a retry; will try again');
      });
      sweeping = false;
    }, deps.recoveryIntervalMs);
    timer.unref();
  }
  return {
    ...server,
    prisma,
    database: deps.database,
    recorder,
    returns,
    relay,
    async stop() {
      clearInterval(timer);
      await server.stop();
      await relay?.stop();
      await prisma.$disconnect();
      await deps.database.close();
    },
  };
}

export function openSalesDatabase(target: DatabaseTarget): Promise<Database> {
  return openDatabase(target, SALES_MIGRATIONS);
}

/** Runs one recovery sweep, logging (not throwing) what went wrong with it. */
async function sweep(what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    logger('sales').error({ error: String(error) }, `${what} recovery failed`);
  }
}
