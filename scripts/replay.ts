/**
 * `npm run replay -- --consumer <name>`: rebuilds a consumer's derived state from the events the
 * subgraphs recorded (their outboxes), as docs/events.md ("Operating") explains. Reads the
 * databases the services would use (DATABASE_URL and the *_DATABASE_SCHEMA variables; embedded
 * PGlite under DATA_DIR otherwise). Stop the consumer's service first (on PGlite, the whole stack).
 *
 * Consumers: marketing.automation (milestone counters and customer stats; docs/automation.md),
 * marketing.attribution (order facts, credits and rollups; docs/attribution.md).
 */
import { parseArgs } from 'node:util';
import { ConfigError, databaseTarget, loadEnv, replayConsumer, runMain, type Database, type OutboxSource } from '@joinery/core';
import { openInventoryDatabase } from '@joinery/inventory';
import { openMarketingDatabase } from '@joinery/marketing';
import { openSalesDatabase } from '@joinery/sales';
import { SALES_TOPIC } from '@joinery/sales/sales-events';
import { topicOf as inventoryTopicOf } from '../subgraphs/inventory/src/stock-events';
import { ATTRIBUTION_CONSUMER, replayAttribution } from '../subgraphs/marketing/src/attribution/attribution-consumer';
import { AUTOMATION_CONSUMER, automationConsumer, MARKETING_TOPIC } from '../subgraphs/marketing/src/automation/automation-consumer';
import { AutomationEngine } from '../subgraphs/marketing/src/automation/automation-engine';
import { PrismaClient } from '../subgraphs/marketing/src/generated/prisma/client';
import { enqueueWebhookDelivery } from '../subgraphs/marketing/src/webhooks/enqueue';

const CONSUMERS = [AUTOMATION_CONSUMER, ATTRIBUTION_CONSUMER];

const source = (name: string, database: Database, topicOf: OutboxSource['topicOf']): OutboxSource => ({
  name,
  topicOf,
  connection: { query: (sql, params) => database.withConnection((connection) => connection.query(sql, params)) },
});

async function main(): Promise<void> {
  let consumer: string | undefined;
  try {
    ({ values: { consumer } } = parseArgs({ options: { consumer: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new ConfigError([`${(error as Error).message}; usage: npm run replay -- --consumer <${CONSUMERS.join('|')}>`]);
  }
  if (!consumer || !CONSUMERS.includes(consumer)) throw new ConfigError([`--consumer: expected one of ${CONSUMERS.join(', ')}, got ${consumer ?? 'nothing'}`]);

  const env = loadEnv();
  const [marketing, inventory, sales] = await Promise.all([
    openMarketingDatabase(databaseTarget(env, 'marketing')),
    openInventoryDatabase(databaseTarget(env, 'inventory')),
    openSalesDatabase(databaseTarget(env, 'sales')),
  ]);
  const prisma = new PrismaClient({ adapter: marketing.adapter });
  try {
    const started = Date.now();
    const onProgress = ({ events }: { events: number }) => console.log(`… ${events} events`);
    const result = consumer === ATTRIBUTION_CONSUMER
      // Order facts from sales, touchpoint events from marketing's own outbox; credits rebuilt at the end.
      ? await replayAttribution({ prisma, sources: [source('sales', sales, () => SALES_TOPIC), source('marketing', marketing, () => MARKETING_TOPIC)], onProgress })
      : await replayConsumer({
        db: prisma,
        consumer: automationConsumer(new AutomationEngine({ enqueueWebhook: enqueueWebhookDelivery })),
        sources: [source('inventory', inventory, (event) => inventoryTopicOf(event.type)), source('sales', sales, () => SALES_TOPIC)],
        onProgress,
      });
    console.log(`Replayed ${consumer}: ${result.events} events read, ${result.applied} applied, in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await prisma.$disconnect();
    await Promise.all([marketing.close(), inventory.close(), sales.close()]);
  }
}

runMain(main);
