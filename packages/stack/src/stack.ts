import { createInventoryDirectory, createSubgraphClient, InProcessEventBus, type Database, type EventBus, type DatabaseTarget, type SubgraphName } from '@joinery/core';
import { buildInventorySubgraph, openInventoryDatabase, type InventorySubgraph } from '@joinery/inventory';
import { buildMarketingSubgraph, openMarketingDatabase, type MarketingSubgraph } from '@joinery/marketing';
import { AuditStore, buildRouter, readSupergraph, type Router, type RouterOptions } from '@joinery/router';
import { buildSalesSubgraph, connectToOwners, openSalesDatabase, type SalesSubgraph } from '@joinery/sales';

type MarketingOptions = Parameters<typeof buildMarketingSubgraph>[0];

export interface StackOptions {
  /** `audit`: where the router records mutations. Default: in-memory PGlite (lost at stop). */
  targets: Record<SubgraphName, DatabaseTarget> & { audit?: DatabaseTarget };
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks free ports (tests). */
  ports: Record<SubgraphName | 'router', number>;
  /** Called with each freshly migrated database before its subgraph starts (e.g. to seed it). */
  prepare?: (name: SubgraphName, database: Database) => Promise<void>;
  /** Default 5000 ms. */
  subgraphCallTimeoutMs?: number;
  /** Sale recovery sweep interval; off when omitted. */
  saleRecoveryIntervalMs?: number;
  /** Carries stock events from inventory to the router, and order events from sales. Default: in-process (closed by `stop`). */
  bus?: EventBus;
  /** Marketing's webhook worker settings (tests shorten the retry schedule). Default: the worker's defaults. */
  webhooks?: MarketingOptions['webhooks'];
  /** Marketing's consumer group settings (tests shorten the reclaim time). */
  consumer?: MarketingOptions['consumer'];
  /** Marketing's RFM segment refresh interval in ms; off when omitted (refreshCustomerSegments only). */
  segmentRefreshIntervalMs?: number;
  /** Router settings beyond the defaults (npm start passes the environment's: tokens, limits, rate limits…). */
  router?: Partial<Omit<RouterOptions, 'supergraphSdl' | 'subgraphUrls' | 'bus' | 'webSocket' | 'audit'>>;
  /** Router WebSocket limits (tests lower them). */
  webSocket?: RouterOptions['webSocket'];
}

export interface Stack {
  inventory: InventorySubgraph;
  sales: SalesSubgraph;
  marketing: MarketingSubgraph;
  router: Router;
  urls: Record<SubgraphName | 'router', string>;
  databases: Record<SubgraphName, Database>;
  /** The router's audit log. */
  audit: AuditStore;
  bus: EventBus;
  /**
   * Stops taking work, for a graceful shutdown (then `stop`): every /readyz answers 503 at once,
   * then the router drains (its WebSockets close with 1001), then sales, then inventory and
   * marketing, whom the others call; all within `timeoutMs` together.
   */
  drain(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the three subgraphs, each on its own port and database, and the router in front of them. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const timeout = options.subgraphCallTimeoutMs ?? 5_000;
  const [inventoryDb, salesDb, marketingDb, audit] = await Promise.all([
    openInventoryDatabase(options.targets.inventory),
    openSalesDatabase(options.targets.sales),
    openMarketingDatabase(options.targets.marketing),
    AuditStore.open(options.targets.audit ?? { kind: 'pglite' }),
  ]);
  const databases = { inventory: inventoryDb, sales: salesDb, marketing: marketingDb };
  if (options.prepare) {
    for (const [name, database] of Object.entries(databases)) await options.prepare(name as SubgraphName, database);
  }

  const bus = options.bus ?? new InProcessEventBus();
  const inventory = await buildInventorySubgraph({ database: inventoryDb, bus });
  const inventoryUrl = await inventory.listen(options.ports.inventory, host);
  const marketing = await buildMarketingSubgraph({
    database: marketingDb,
    inventory: createInventoryDirectory(createSubgraphClient('inventory', inventoryUrl, timeout)),
    bus,
    webhooks: options.webhooks ?? {},
    consumer: options.consumer,
    segmentRefreshIntervalMs: options.segmentRefreshIntervalMs,
  });
  const marketingUrl = await marketing.listen(options.ports.marketing, host);

  const sales = await buildSalesSubgraph({
    database: salesDb,
    ...connectToOwners({ inventory: inventoryUrl, marketing: marketingUrl }, timeout),
    recoveryIntervalMs: options.saleRecoveryIntervalMs,
    bus,
  });
  const salesUrl = await sales.listen(options.ports.sales, host);

  const router = await buildRouter({
    supergraphSdl: readSupergraph(),
    subgraphUrls: { inventory: inventoryUrl, sales: salesUrl, marketing: marketingUrl },
    bus,
    webSocket: options.webSocket,
    audit,
    ...options.router,
  });
  const routerUrl = await router.listen(options.ports.router, host);

  return {
    inventory,
    sales,
    marketing,
    router,
    databases,
    audit,
    bus,
    urls: { router: routerUrl, inventory: inventoryUrl, sales: salesUrl, marketing: marketingUrl },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const left = () => Math.max(0, deadline - Date.now());
      for (const service of [router, sales, inventory, marketing]) service.health.startDraining();
      await router.drain(left());
      await sales.drain(left());
      await Promise.all([inventory.drain(left()), marketing.drain(left())]);
    },
    async stop() {
      await router.stop();
      // Producers first: their relays' last batches are still handled by marketing's consumer.
      await sales.stop();
      await inventory.stop();
      await marketing.stop();
      await audit.close();
      if (!options.bus) await bus.close();
    },
  };
}
