import { fileURLToPath } from 'node:url';
import { buildSubgraphServer, createInventoryDirectory, createSubgraphClient, openDatabase, type Database, type DatabaseTarget, type InventoryDirectory, type SubgraphServer } from '@joinery/core';
import { createCampaignDirectory, type CampaignDirectory } from './campaign-directory';
import { createContext } from './context';
import { PrismaClient } from './generated/prisma/client';
import { resolvers } from './resolvers';
import { SaleRecorder } from './sale-recorder';
import { createStockAllocator, type StockAllocator } from './stock-allocator';

export const SALES_SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
export const SALES_MIGRATIONS = fileURLToPath(new URL('../../../prisma/sales/migrations', import.meta.url));

/** The sales subgraph's links to the subgraphs that own stock and campaigns, over their GraphQL endpoints. */
export function connectToOwners(urls: { inventory: string; marketing: string }, timeoutMs: number): Pick<SalesDependencies, 'inventory' | 'allocator' | 'campaigns'> {
  const inventory = createSubgraphClient('inventory', urls.inventory, timeoutMs);
  return {
    inventory: createInventoryDirectory(inventory),
    allocator: createStockAllocator(inventory),
    campaigns: createCampaignDirectory(createSubgraphClient('marketing', urls.marketing, timeoutMs)),
  };
}

export interface SalesDependencies {
  database: Database;
  inventory: InventoryDirectory;
  allocator: StockAllocator;
  campaigns: CampaignDirectory;
  /** How often to finish sales interrupted between order and stock, in ms; off when omitted. */
  recoveryIntervalMs?: number;
}

export interface SalesSubgraph extends SubgraphServer {
  prisma: PrismaClient;
  recorder: SaleRecorder;
}

/** Builds the sales subgraph; never listens by itself. */
export async function buildSalesSubgraph(deps: SalesDependencies): Promise<SalesSubgraph> {
  const prisma = new PrismaClient({ adapter: deps.database.adapter });
  const recorder = new SaleRecorder(prisma, deps.inventory, deps.allocator, deps.campaigns);
  const server = await buildSubgraphServer({
    name: 'sales',
    schemaPath: SALES_SCHEMA_PATH,
    resolvers,
    createContext: () => createContext(prisma, recorder),
  });
  let timer: NodeJS.Timeout | undefined;
  let sweeping = false;
  if (deps.recoveryIntervalMs) {
    timer = setInterval(async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        const outcome = await recorder.resumePending(deps.recoveryIntervalMs!);
        if (outcome.confirmed || outcome.rejected) console.log(JSON.stringify({ level: 'info', service: 'sales', msg: 'resumed pending sales', ...outcome }));
        if (outcome.stillPending) console.warn(JSON.stringify({ level: 'warn', service: 'sales', msg: 'sales still pending after a retry; will try again', ...outcome }));
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', service: 'sales', msg: 'sale recovery failed', error: String(error) }));
      } finally {
        sweeping = false;
      }
    }, deps.recoveryIntervalMs);
    timer.unref();
  }
  return {
    ...server,
    prisma,
    recorder,
    async stop() {
      clearInterval(timer);
      await server.stop();
      await prisma.$disconnect();
      await deps.database.close();
    },
  };
}

export function openSalesDatabase(target: DatabaseTarget): Promise<Database> {
  return openDatabase(target, SALES_MIGRATIONS);
}
