import { fileURLToPath } from 'node:url';
import { buildSubgraphServer, openDatabase, OutboxRelay, startConsumer, type ConsumeOptions, type Database, type DatabaseTarget, type EventBus, type InventoryDirectory, type RunningConsumer, type SubgraphServer } from '@joinery/core';
import { automationConsumer, MARKETING_TOPIC } from './automation/automation-consumer';
import { AutomationEngine } from './automation/automation-engine';
import { createContext } from './context';
import { PrismaClient } from './generated/prisma/client';
import { resolvers } from './resolvers';
import { ENGAGEMENT_PATH_PREFIX, engagementWebhookRoute } from './webhooks/engagement-route';
import { enqueueWebhookDelivery } from './webhooks/enqueue';
import { WebhookWorker, type WebhookWorkerOptions } from './webhooks/webhook-worker';

export const MARKETING_SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
export const MARKETING_MIGRATIONS = fileURLToPath(new URL('../../../prisma/marketing/migrations', import.meta.url));

export interface MarketingSubgraph extends SubgraphServer {
  prisma: PrismaClient;
  /** Sends this instance's share of the webhook deliveries; present when `webhooks` was given. */
  webhookWorker?: WebhookWorker;
  /** This instance's member of the `marketing.automation` group; present when built with a bus. */
  automation?: RunningConsumer;
  /** Publishes marketing's recorded events; present when built with a bus. */
  relay?: OutboxRelay;
}

/** Builds the marketing subgraph; never listens by itself. */
export async function buildMarketingSubgraph(deps: {
  database: Database;
  inventory: InventoryDirectory;
  /** Runs a WebhookWorker with these options (see WebhookWorkerOptions for defaults); no deliveries are sent from this instance when omitted. */
  webhooks?: Omit<WebhookWorkerOptions, 'prisma'>;
  /**
   * Events in and out: with a bus, this instance joins the `marketing.automation` consumer group
   * (stock and order events fire the rules) and relays marketing's outbox. Without one, rules
   * never fire and marketing's events wait in its outbox.
   */
  bus?: EventBus;
  /** Consumer group settings (retries, reclaim time); see ConsumeOptions for defaults. */
  consumer?: Omit<ConsumeOptions, 'group' | 'handler'>;
  /** Outbox relay poll interval in ms (NOTIFY wakes it sooner). Default 1000. */
  relayPollIntervalMs?: number;
}): Promise<MarketingSubgraph> {
  const prisma = new PrismaClient({ adapter: deps.database.adapter });
  const server = await buildSubgraphServer({
    name: 'marketing',
    schemaPath: MARKETING_SCHEMA_PATH,
    resolvers,
    createContext: ({ actor }) => createContext(prisma, deps.inventory, actor),
    postRoutes: { [`${ENGAGEMENT_PATH_PREFIX}*`]: engagementWebhookRoute(prisma) },
  });
  const webhookWorker = deps.webhooks ? new WebhookWorker({ ...deps.webhooks, prisma }) : undefined;
  webhookWorker?.start();
  const relay = deps.bus ? new OutboxRelay({ name: 'marketing', database: deps.database, bus: deps.bus, topicOf: () => MARKETING_TOPIC, pollIntervalMs: deps.relayPollIntervalMs }) : undefined;
  relay?.start();
  let automation: RunningConsumer | undefined;
  try {
    automation = deps.bus ? await startConsumer(deps.bus, prisma, automationConsumer(new AutomationEngine({ enqueueWebhook: enqueueWebhookDelivery })), deps.consumer) : undefined;
  } catch (error) {
    await Promise.allSettled([relay?.stop(), webhookWorker?.stop(), server.stop(), prisma.$disconnect()]);
    throw error;
  }
  return {
    ...server,
    prisma,
    webhookWorker,
    automation,
    relay,
    async stop() {
      await server.stop();
      await automation?.stop();
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
