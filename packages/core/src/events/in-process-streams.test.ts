import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from './event-bus';
import { InProcessStreams } from './in-process-streams';
import { captureLogs } from '../observability/logger';

const event = (n: number): EventEnvelope => ({ id: `id-${n}`, type: 'test.happened', version: 1, aggregate: 'a', occurredAt: '', recordedAt: '', payload: { n } });

describe('in-process consumer groups', () => {
  afterEach(() => vi.restoreAllMocks());

  it('deliver an event appended in the same tick a member joined (regression: the pump had looked and was ending)', async () => {
    const streams = new InProcessStreams();
    const seen: number[] = [];
    const member = streams.consume('t', { group: 'g', handler: async (received) => void seen.push(received.payload.n as number) });
    await streams.append('t', [event(1)]);
    expect(seen).toEqual([1]);
    await member.stop();
    await streams.close();
  });

  it('hold a publisher up once for a handler stuck on an event, not on every publish after it', async () => {
    const streams = new InProcessStreams(100_000, 500);
    let release: (() => void) | undefined;
    const member = streams.consume('t', { group: 'g', handler: () => new Promise<void>((resolve) => (release = resolve)) });
    let started = Date.now();
    await streams.append('t', [event(1)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    started = Date.now();
    await streams.append('t', [event(2)]);
    expect(Date.now() - started).toBeLessThan(250);
    release?.();
    await member.stop();
    await streams.close();
  });

  it('give a group without members the events published meanwhile, up to twice the retention, dropping the oldest beyond that with an error', async () => {
    const logs = captureLogs();
    const streams = new InProcessStreams(10);
    const seen: number[] = [];
    const first = streams.consume('t', { group: 'g', handler: async (received) => void seen.push(received.payload.n as number) });
    await streams.append('t', [event(1)]);
    await first.stop();
    // 25 events while nobody reads: the group keeps the newest 20 and says it dropped 5.
    for (let n = 2; n <= 26; n += 1) await streams.append('t', [event(n)]);
    logs.restore();
    expect(logs.lines.filter((line) => line.level === 'error' && String(line.msg).includes('fell too far behind')).reduce((sum, line) => sum + Number(line.dropped), 0)).toBe(5);
    const second = streams.consume('t', { group: 'g', handler: async (received) => void seen.push(received.payload.n as number) });
    await streams.append('t', [event(27)]);
    expect(seen).toEqual([1, ...Array.from({ length: 21 }, (_, i) => i + 7)]);
    await second.stop();
    await streams.close();
  });
});
