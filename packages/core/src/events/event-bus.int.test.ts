import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config';
import { InProcessEventBus, RedisEventBus, type EventBus, type EventEnvelope } from './event-bus';

function event(n: number): EventEnvelope {
  const now = new Date().toISOString();
  return { id: `0193a3c5-7d1e-7000-8000-${String(n).padStart(12, '0')}`, type: 'test.happened', version: 1, aggregate: 'a', occurredAt: now, recordedAt: now, payload: { n } };
}

const buses: [string, () => Promise<EventBus>][] = [['in-process', async () => new InProcessEventBus()]];
if (process.env.REDIS_URL) buses.push(['redis', () => RedisEventBus.connect({ url: process.env.REDIS_URL!, channelPrefix: `test:${randomBytes(5).toString('hex')}:` })]);

describe.each(buses)('the %s event bus', (_name, open) => {
  it('delivers every published event to every subscriber of the topic, in publish order, and none after unsubscribing', async () => {
    const bus = await open();
    try {
      const first: number[] = [];
      const second: number[] = [];
      const stopFirst = await bus.subscribe('stock', (received) => first.push(received.payload.n as number));
      await bus.subscribe('stock', (received) => second.push(received.payload.n as number));
      const other: number[] = [];
      await bus.subscribe('elsewhere', (received) => other.push(received.payload.n as number));
      for (let n = 1; n <= 20; n += 3) await bus.publish('stock', [event(n), event(n + 1), event(n + 2)]);
      const deadline = Date.now() + 5_000;
      while (second.length < 21 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(first).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect(second).toEqual(first);
      expect(other).toEqual([]);
      await stopFirst();
      await bus.publish('stock', [event(99)]);
      while (second.length < 22 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(second.at(-1)).toBe(99);
      expect(first).toHaveLength(21);
    } finally {
      if (bus instanceof RedisEventBus) await bus.purge();
      await bus.close();
    }
  });
});

describe('a Redis that cannot be reached at start', () => {
  it('stops start-up with a message naming REDIS_URL instead of retrying silently', async () => {
    const attempt = RedisEventBus.connect({ url: 'redis://user:secret@127.0.0.1:1' });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/REDIS_URL: cannot connect to redis:\/\/\*\*\*@127\.0\.0\.1:1 \(.*ECONNREFUSED/);
  });
});

describe.runIf(process.env.REDIS_URL)('a Redis connection lost after start', () => {
  it('is reconnected, and the subscription resumes', async () => {
    const target = new URL(process.env.REDIS_URL!);
    const sockets = new Set<Socket>();
    // A TCP proxy in front of Redis, so the test can cut the bus's connections.
    const proxy = createServer((client) => {
      const upstream = createConnection(Number(target.port || 6379), target.hostname);
      client.pipe(upstream).pipe(client);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const prefix = `test:${randomBytes(5).toString('hex')}:`;
    const { port } = proxy.address() as { port: number };
    const listening = await RedisEventBus.connect({ url: `redis://127.0.0.1:${port}`, channelPrefix: prefix });
    const publishing = await RedisEventBus.connect({ url: process.env.REDIS_URL!, channelPrefix: prefix });
    try {
      const received: number[] = [];
      await listening.subscribe('stock', (each) => received.push(each.payload.n as number));
      const publishUntilReceived = async (n: number) => {
        const deadline = Date.now() + 10_000;
        while (!received.includes(n)) {
          if (Date.now() > deadline) throw new Error(`event ${n} not received; got ${JSON.stringify(received)}`);
          await publishing.publish('stock', [event(n)]);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      await publishUntilReceived(1);
      for (const socket of sockets) socket.destroy();
      await publishUntilReceived(2);
      expect(received).toContain(2);
    } finally {
      await publishing.purge();
      await listening.close();
      await publishing.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
