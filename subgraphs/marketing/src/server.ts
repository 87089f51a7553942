import { fileURLToPath } from 'node:url';
import { buildSubgraphServer, openDatabase, OutboxRelay, startConsumer, type ConsumeOptions, type Database, type DatabaseTarget, type EventBus, type InventoryDirectory, type RunningConsumer, type SubgraphServer } from '@joinery/core';
import { automationConsumer, MARKETING_TOPIC } from './automation/automation-consumer';
import { AutomationEngine } from './automation/automation-engine';
import { attributionConsumer } from './attribution/attribution-consumer';
import { createContext } from './context';
import { PrismaClient } from './generated/prisma/client';
import { resolvers } from './resolvers';
import { ENGAGEMENT_PATH_PREFIX, engagementWebhookRoute } from './webhooks/engagement-route';
import { enqueueWebhookDelivery } from './webhooks/enqueue';
import { WebhookWorker, type WebhookWorkerOptions } from './webhooks/webhook-worker';
import { SegmentRefreshJob } from './segments/segment-job';
import { SegmentRefresher } from './segments/segment-refresh';

/** For the demo seed: computes attribution from the order facts it loaded. */
export { rebuildAttributionIn } from './attribution/attribution-store';

export const MARKETING_SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
export const MARKETING_MIGRATIONS = fileURLToPath(new URL('../../../prisma/marketing/migrations', import.meta.url));

export interface MarketingSubgraph extends SubgraphServer {
  prisma: PrismaClient;
  /** Sends this instance's share of the webhook deliveries; present when `webhooks` was given. */
  webhookWorker?: WebhookWorker;
  /** This instance's member of the `marketing.automation` group; present when built with a bus. */
  automation?: RunningConsumer;
  /** This instance's member of the `marketing.attribution` group (order facts, credits); present when built with a bus. */
  attribution?: RunningConsumer;
  /** Publishes marketing's recorded events; present when built with a bus. */
  relay?: OutboxRelay;
  /** Takes RFM customer segment snapshots (docs/analytics.md). */
  segments: SegmentRefresher;
  /** Refreshes the snapshot every `segmentRefreshIntervalMs`; present when that was given. */
  segmentJob?: SegmentRefreshJob;
}

/** Builds the marketing subgraph; never listens by itself. */
export async function buildMarketingSubgraph(deps: {
  database: Database;
  inventory: InventoryDirectory;
  /** Runs a WebhookWorker with these options (see WebhookWorkerOptions for defaults); no deliveries are sent from this instance when omitted. */
  webhooks?: Omit<WebhookWorkerOptions, 'prisma'>;
  /**
   * Events in and out: with a bus, this instance joins the `marketing.automation` and `marketing.attribution` consumer groups
   * (stock and order events fire the rules) and relays marketing's outbox. Without one, rules
   * never fire and marketing's events wait in its outbox.
   */
  bus?: EventBus;
  /** Consumer group settings (retries, reclaim time); see ConsumeOptions for defaults. */
  consumer?: Omit<ConsumeOptions, 'group' | 'handler'>;
  /** Outbox relay poll interval in ms (NOTIFY wakes it sooner). Default 1000. */
  relayPollIntervalMs?: number;
  /** Refresh the RFM customer segments at start and then every this many ms (SEGMENT_REFRESH_INTERVAL_MS). Off when omitted: refreshCustomerSegments only. */
  segmentRefreshIntervalMs?: number;
}): Promise<MarketingSubgraph> {
  const prisma = new PrismaClient({ adapter: deps.database.adapter });
  const segments = new SegmentRefresher({ prisma, engine: new AutomationEngine({ enqueueWebhook: enqueueWebhookDelivery }) });
  const server = await buildSubgraphServer({
    name: 'marketing',
    schemaPath: MARKETING_SCHEMA_PATH,
    resolvers,
    database: deps.database,
    bus: deps.bus,
    createContext: ({ identity }) => createContext(prisma, deps.inventory, identity, segments),
    postRoutes: { [`${ENGAGEMENT_PATH_PREFIX}*`]: engagementWebhookRoute(prisma) },
  });
  const webhookWorker = deps.webhooks ? new WebhookWorker({ ...deps.webhooks, prisma }) : undefined;
  webhookWorker?.start();
  const relay = deps.bus ? new OutboxRelay({ name: 'marketing', database: deps.database, bus: deps.bus, topicOf: () => MARKETING_TOPIC, pollIntervalMs: deps.relayPollIntervalMs }) : undefined;
  relay?.start();
  let automation: RunningConsumer | undefined;
  let attribution: RunningConsumer | undefined;
  try {
    automation = deps.bus ? await startConsumer(deps.bus, prisma, automationConsumer(new AutomationEngine({ enqueueWebhook: enqueueWebhookDelivery })), deps.consumer) : undefined;
    attribution = deps.bus ? await startConsumer(deps.bus, prisma, attributionConsumer(), deps.consumer) : undefined;
  } catch (error) {
    await Promise.allSettled([automation?.stop(), relay?.stop(), webhookWorker?.stop(), server.stop(), prisma.$disconnect()]);
    throw error;
  }
  const segmentJob = deps.segmentRefreshIntervalMs ? new SegmentRefreshJob(segments, deps.segmentRefreshIntervalMs) : undefined;
  segmentJob?.start();
  return {
    ...server,
    prisma,
    webhookWorker,
    automation,
    attribution,
    relay,
    segments,
    segmentJob,
    async stop() {
      await server.stop();
      await segmentJob?.stop();
      await automation?.stop();
      await attribution?.stop();
      await relay?.stop();
      await webhookWorker?.stop();
      await prisma.$disconnect();
      await deps.database.close();
    },
  };
}

export function openMarketingDatabase(target: DatabaseTarget): Promise<Database> {
  return openDatabase(target, MARKETING_MIGRATIONS);
}
