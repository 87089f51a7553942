/**
 * `npm run events -- <command>`: look into the event streams on Redis (REDIS_URL).
 *
 *   status                                   each topic: stream length, groups, pending, lag, dead letters
 *   dead-letters --topic <t> --group <g>     a group's dead letters, one JSON line each
 *   redrive --topic <t> --group <g>          put them back on the topic, once the cause is fixed
 */
import { ConfigError, loadEnv, RedisEventBus, runMain } from '@joinery/core';
import { SALES_TOPIC } from '@joinery/sales/sales-events';
import { RETURN_TOPIC, STOCK_TOPIC, TRANSFER_TOPIC } from '../subgraphs/inventory/src/stock-events';
import { AUTOMATION_CONSUMER, AUTOMATION_TOPICS, MARKETING_TOPIC } from '../subgraphs/marketing/src/automation/automation-consumer';

/** Every topic the subgraphs publish on (docs/events.md). */
const EVENT_TOPICS = [STOCK_TOPIC, TRANSFER_TOPIC, RETURN_TOPIC, SALES_TOPIC, MARKETING_TOPIC];

/** The consumer groups, by topic (docs/events.md, "Consumers"): shown even before they first ran. */
const CONSUMERS = [{ name: AUTOMATION_CONSUMER, topics: AUTOMATION_TOPICS }];
const groupsOf = (topic: string) => CONSUMERS.filter((consumer) => consumer.topics.includes(topic)).map((consumer) => consumer.name);

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const option = (name: string) => {
    const index = rest.indexOf(`--${name}`);
    const value = index >= 0 ? rest[index + 1] : undefined;
    if (!value) throw new ConfigError([`${command} needs --${name} <${name}>`]);
    return value;
  };
  const env = loadEnv();
  if (!env.REDIS_URL) {
    console.error('REDIS_URL is not set: with the embedded default, consumer groups live inside the `npm start` process and their dead letters are in its log (msg "event dead-lettered").');
    process.exitCode = 1;
    return;
  }
  const bus = await RedisEventBus.connect({ url: env.REDIS_URL, channelPrefix: env.EVENT_CHANNEL_PREFIX });
  try {
    if (command === 'status') {
      for (const topic of EVENT_TOPICS) {
        const status = await bus.status(topic, groupsOf(topic));
        console.log(`${topic}: ${status.length} events in ${bus.keys(topic).stream}`);
        for (const group of status.groups) {
          const oldest = group.oldestPendingMs === null ? '' : ` (oldest ${(group.oldestPendingMs / 1000).toFixed(1)} s)`;
          console.log(`  group ${group.name}: ${group.consumers} consumers, ${group.pending} pending${oldest}, lag ${group.lag ?? 'unknown'}, ${group.deadLetters} dead letters`);
          if (group.trimmedPastUnread) console.log(`  WARNING: the stream was trimmed past events ${group.name} had not read; run npm run replay -- --consumer ${group.name}`);
        }
      }
    } else if (command === 'dead-letters') {
      for (const letter of await bus.deadLetters(option('topic'), option('group'))) console.log(JSON.stringify(letter));
    } else if (command === 'redrive') {
      const count = await bus.redrive(option('topic'), option('group'));
      console.log(`${count} dead letters put back on ${option('topic')}`);
    } else {
      console.error('usage: npm run events -- status | dead-letters --topic <t> --group <g> | redrive --topic <t> --group <g>');
      process.exitCode = 1;
    }
  } finally {
    await bus.close();
  }
}

runMain(main);
