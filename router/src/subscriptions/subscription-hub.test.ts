import { buildSchema, parse, type FormattedExecutionResult } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs, InProcessEventBus, type EventEnvelope, type Identity } from '@joinery/core';
import { prepareSubscription, type PreparedSubscription } from './prepare-subscription';
import { subscriberScope } from './subscriber-scope';
import { SubscriptionHub } from './subscription-hub';

const schema = buildSchema(`
  type Query { stockChange(id: ID!): StockChange }
  type Subscription { stockChanged(locationId: ID, skus: [ID!]): StockChange! }
  type StockChange { id: ID! delta: Int! }
`);
const OSLO = '0193a3c5-7d1e-7000-8000-000000000001';
const BERGEN = '0193a3c5-7d1e-7000-8000-000000000002';
const ADMIN = subscriberScope({ subject: 'test-admin', role: 'admin', locations: '*', actor: 'test-admin' });

function prepared(query: string, variables?: Record<string, unknown>): PreparedSubscription {
  const result = prepareSubscription(schema, parse(query), undefined, variables);
  if (Array.isArray(result)) throw new Error(result[0].message);
  return result;
}

let counter = 0;
function stockChanged(locationId: string, sku = 'OAK-TBL-180'): EventEnvelope {
  counter += 1;
  const now = new Date().toISOString();
  return { id: `0193a3c5-7d1e-7000-8000-${String(counter).padStart(12, '0')}`, type: 'inventory.stock_changed', version: 1, aggregate: `${locationId}:${sku}`, occurredAt: now, recordedAt: now, payload: { locationId, sku, delta: 1 } };
}

describe('SubscriptionHub', () => {
  const bus = new InProcessEventBus();
  let hub: SubscriptionHub | undefined;
  afterEach(async () => {
    await hub?.stop();
  });

  it('delivers an event once per subscriber, resolving it once per distinct question, and drops a republished event', async () => {
    const run = vi.fn(async (_query: string, variables: Record<string, unknown>): Promise<FormattedExecutionResult> => ({ data: { stockChanged: { id: variables.joineryEventId } } }));
    hub = await SubscriptionHub.start({ bus, run });
    const atOslo = hub.open(prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id } }`, { l: OSLO }), ADMIN, () => {});
    const everywhere = hub.open(prepared(`subscription { stockChanged { id } }`), ADMIN, () => {});
    const atBergen = hub.open(prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id } }`, { l: BERGEN }), ADMIN, () => {});
    const event = stockChanged(OSLO);
    await bus.publish('inventory.stock', [event]);
    await bus.publish('inventory.stock', [event]);
    expect(run).toHaveBeenCalledOnce();
    expect(await atOslo.next()).toEqual({ value: { data: { stockChanged: { id: event.id } } }, done: false });
    expect(await everywhere.next()).toEqual({ value: { data: { stockChanged: { id: event.id } } }, done: false });
    expect(atBergen.pending).toBe(0);
    expect(hub.stats).toMatchObject({ events: 1, duplicates: 1, executions: 1, deliveries: 2 });
  });

  it('resolves a few queries at once, and events that waited meanwhile together in one query, each subscriber getting its own result in order', async () => {
    const calls: { query: string; variables: Record<string, unknown>; finish(): void }[] = [];
    const run = (query: string, variables: Record<string, unknown>) =>
      new Promise<FormattedExecutionResult>((resolve) => {
        const data = query.includes('JoineryLiveEvents')
          ? Object.fromEntries(Object.entries(variables).filter(([name]) => name.startsWith('joineryEvent')).map(([name, id]) => [`e${name.slice('joineryEvent'.length)}_q0`, { id }]))
          : { live: { id: variables.joineryEventId } };
        calls.push({ query, variables, finish: () => resolve({ data }) });
      });
    hub = await SubscriptionHub.start({ bus, run, maxConcurrentResolutions: 2 });
    const stream = hub.open(prepared(`subscription { live: stockChanged { id } }`), ADMIN, () => {});
    const events = Array.from({ length: 5 }, () => stockChanged(OSLO));
    for (const each of events) await bus.publish('inventory.stock', [each]);
    expect(calls).toHaveLength(2);
    calls[0].finish();
    await new Promise((resolve) => setImmediate(resolve));
    // The three events that waited go in one query.
    expect(calls).toHaveLength(3);
    expect(calls[2].query).toContain('e2_q0: stockChange(id: $joineryEvent2)');
    expect(Object.values(calls[2].variables)).toEqual(events.slice(2).map((each) => each.id));
    calls[2].finish();
    calls[1].finish();
    for (const each of events) expect((await stream.next()).value).toEqual({ data: { live: { id: each.id } } });
    expect(hub.stats).toMatchObject({ executions: 3, resolutions: 5 });
  });

  it('resolves every question about an event in one query', async () => {
    const run = vi.fn(async (query: string, variables: Record<string, unknown>): Promise<FormattedExecutionResult> => ({
      // A stand-in for the router: each question gets both fields, whichever it asked for.
      data: { e0_q0: { id: variables.joineryEvent0, delta: 1 }, e0_q1: { id: variables.joineryEvent0, delta: 1 } },
    }));
    hub = await SubscriptionHub.start({ bus, run });
    const ids = hub.open(prepared(`subscription { stockChanged { id } }`), ADMIN, () => {});
    const deltas = hub.open(prepared(`subscription($l: ID) { change: stockChanged(locationId: $l) { delta } }`, { l: OSLO }), ADMIN, () => {});
    const event = stockChanged(OSLO);
    await bus.publish('inventory.stock', [event]);
    expect(run).toHaveBeenCalledOnce();
    const [[query]] = run.mock.calls;
    expect(query).toContain('e0_q0: stockChange(id: $joineryEvent0)');
    expect(query).toContain('e0_q1: stockChange(id: $joineryEvent0)');
    expect((await ids.next()).value).toEqual({ data: { stockChanged: { id: event.id, delta: 1 } } });
    expect((await deltas.next()).value).toEqual({ data: { change: { id: event.id, delta: 1 } } });
  });

  it('regression: a resolution that fails reaches the subscriber as an error and its subscription lives on', async () => {
    let fail = true;
    const run = vi.fn(async (_query: string, variables: Record<string, unknown>): Promise<FormattedExecutionResult> => {
      if (fail) throw new Error('socket hang up');
      return { data: { stockChanged: { id: variables.joineryEventId } } };
    });
    const logs = captureLogs();
    hub = await SubscriptionHub.start({ bus, run });
    const stream = hub.open(prepared(`subscription { stockChanged { id } }`), ADMIN, () => {});
    await bus.publish('inventory.stock', [stockChanged(OSLO)]);
    expect((await stream.next()).value).toEqual({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    logs.restore();
    expect(logs.lines).toEqual([expect.objectContaining({ level: 'error', service: 'router', msg: 'subscription event could not be resolved' })]);
    fail = false;
    const later = stockChanged(OSLO);
    await bus.publish('inventory.stock', [later]);
    expect((await stream.next()).value).toEqual({ data: { stockChanged: { id: later.id } } });
    expect(hub.subscriberCount).toBe(1);
  });

  it('regression: an error of a whole combined query does not become every question\'s error', async () => {
    const run = vi.fn(async (query: string, variables: Record<string, unknown>): Promise<FormattedExecutionResult> =>
      query.includes('JoineryLiveEvents') ? { errors: [{ message: 'Variable "$q1_x" is not defined.' }] } : { data: { stockChanged: { id: variables.joineryEventId } } });
    hub = await SubscriptionHub.start({ bus, run });
    const a = hub.open(prepared(`subscription { stockChanged { id } }`), ADMIN, () => {});
    const b = hub.open(prepared(`subscription { stockChanged { id delta } }`), ADMIN, () => {});
    const event = stockChanged(OSLO);
    await bus.publish('inventory.stock', [event]);
    expect((await a.next()).value).toEqual({ data: { stockChanged: { id: event.id } } });
    expect((await b.next()).value).toEqual({ data: { stockChanged: { id: event.id } } });
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('keeps combined queries to at most 100 root fields however many questions there are', async () => {
    const run = vi.fn(async (query: string): Promise<FormattedExecutionResult> => ({ data: Object.fromEntries([...query.matchAll(/(e\d+_q\d+):/g)].map(([, alias]) => [alias, { id: alias }])) }));
    hub = await SubscriptionHub.start({ bus, run });
    const schemaWithMany = Array.from({ length: 150 }, (_, i) => hub!.open(prepared(`subscription { stockChanged { id } }`.replace('{ id }', `{ id${' id'.repeat(i)} }`)), ADMIN, () => {}));
    await bus.publish('inventory.stock', [stockChanged(OSLO)]);
    for (const stream of schemaWithMany) await stream.next();
    expect(run).toHaveBeenCalledTimes(2);
    expect(Math.max(...run.mock.calls.map(([query]) => [...query.matchAll(/e\d+_q\d+:/g)].length))).toBe(100);
  });

  it('does not resolve an event whose subscribers have all gone while it waited', async () => {
    const finish: (() => void)[] = [];
    const run = vi.fn((_query: string, variables: Record<string, unknown>) => new Promise<FormattedExecutionResult>((resolve) => finish.push(() => resolve({ data: { stockChanged: { id: variables.joineryEventId } } }))));
    hub = await SubscriptionHub.start({ bus, run, maxConcurrentResolutions: 1 });
    const staying = hub.open(prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id } }`, { l: OSLO }), ADMIN, () => {});
    const leaving = hub.open(prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id delta } }`, { l: BERGEN }), ADMIN, () => {});
    await bus.publish('inventory.stock', [stockChanged(OSLO)]);
    await bus.publish('inventory.stock', [stockChanged(BERGEN)]);
    await leaving.return();
    finish.shift()!();
    await staying.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(run).toHaveBeenCalledOnce();
  });

  it('drops a subscriber that falls too far behind, and only that one', async () => {
    const never = () => new Promise<FormattedExecutionResult>(() => {});
    hub = await SubscriptionHub.start({ bus, run: never, maxPendingEvents: 3 });
    const onTooSlow = vi.fn();
    const slow = hub.open(prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id } }`, { l: OSLO }), ADMIN, onTooSlow);
    const quiet = hub.open(prepared(`subscription($l: ID) { stockChanged(locationId: $l) { id } }`, { l: BERGEN }), ADMIN, () => {});
    for (let i = 0; i < 3; i += 1) await bus.publish('inventory.stock', [stockChanged(OSLO)]);
    expect(onTooSlow).not.toHaveBeenCalled();
    await bus.publish('inventory.stock', [stockChanged(OSLO)]);
    expect(onTooSlow).toHaveBeenCalledOnce();
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    expect(hub.subscriberCount).toBe(1);
    expect(hub.stats.dropped).toBe(1);
    await quiet.return();
    expect(hub.subscriberCount).toBe(0);
  });
});

describe('SubscriptionHub location scope', () => {
  const bus = new InProcessEventBus();
  let hub: SubscriptionHub | undefined;
  afterEach(async () => {
    await hub?.stop();
  });
  const scope = (subject: string, role: Identity['role'], locations: Identity['locations']) => subscriberScope({ subject, role, locations, actor: subject });
  /** Answers every root field of a query with the event id it names, and records who asked. */
  const recordingRun = () =>
    vi.fn(async (query: string, variables: Record<string, unknown>, _identity: Identity): Promise<FormattedExecutionResult> => {
      if (!query.includes('JoineryLiveEvents')) return { data: { [/(\w+): stockChange/.exec(query)?.[1] ?? 'stockChanged']: { id: variables.joineryEventId } } };
      return { data: Object.fromEntries([...query.matchAll(/(e(\d+)_q\d+): stockChange/g)].map(([, alias, i]) => [alias, { id: variables[`joineryEvent${i}`] }])) };
    });
  const next = async (stream: { next(): Promise<IteratorResult<FormattedExecutionResult>> }) => (await stream.next()).value;

  it('never resolves, nor delivers, an event at a location outside the subscriber\'s scope', async () => {
    const run = recordingRun();
    hub = await SubscriptionHub.start({ bus, run });
    const managerAtOslo = scope('maria', 'manager', [OSLO]);
    const stream = hub.open(prepared(`subscription { stockChanged { id } }`), managerAtOslo, () => {});
    const atBergen = stockChanged(BERGEN);
    const atOslo = stockChanged(OSLO);
    await bus.publish('inventory.stock', [atBergen]);
    expect(run).not.toHaveBeenCalled();
    expect(stream.pending).toBe(0);
    await bus.publish('inventory.stock', [atOslo]);
    expect(await next(stream)).toEqual({ data: { stockChanged: { id: atOslo.id } } });
    expect(run).toHaveBeenCalledOnce();
    // Resolved as the subscriber, so subgraphs apply its role and locations to every field.
    expect(run.mock.calls[0][2]).toMatchObject({ subject: 'maria', role: 'manager', locations: [OSLO] });
  });

  it('matches the scope case-insensitively (location ids are UUIDs)', async () => {
    const run = recordingRun();
    hub = await SubscriptionHub.start({ bus, run });
    const stream = hub.open(prepared(`subscription { stockChanged { id } }`), scope('maria', 'manager', [OSLO.toUpperCase()]), () => {});
    const event = stockChanged(OSLO);
    await bus.publish('inventory.stock', [event]);
    expect(await next(stream)).toEqual({ data: { stockChanged: { id: event.id } } });
  });

  it('shares a result only between subscribers of the same scope key, resolving it as one of them', async () => {
    const run = recordingRun();
    hub = await SubscriptionHub.start({ bus, run });
    const question = `subscription { stockChanged { id } }`;
    const maria = hub.open(prepared(question), scope('maria', 'manager', [OSLO, BERGEN]), () => {});
    // Same role and locations (in another order): the same scope key, so the same result.
    const mona = hub.open(prepared(question), scope('mona', 'manager', [BERGEN, OSLO]), () => {});
    // Same locations, another role: another scope key (a role may be refused fields another reads).
    const anna = hub.open(prepared(question), scope('anna', 'associate', [OSLO, BERGEN]), () => {});
    const admin = hub.open(prepared(question), ADMIN, () => {});
    const event = stockChanged(OSLO);
    await bus.publish('inventory.stock', [event]);
    for (const stream of [maria, mona, anna, admin]) expect(await next(stream)).toEqual({ data: { stockChanged: { id: event.id } } });
    expect(run).toHaveBeenCalledTimes(3);
    const askers = run.mock.calls.map(([, , identity]) => `${identity.role}:${[identity.locations].flat().sort().join(',')}`).sort();
    expect(askers).toEqual(['admin:*', `associate:${OSLO},${BERGEN}`, `manager:${OSLO},${BERGEN}`].sort());
    const managerCall = run.mock.calls.find(([, , identity]) => identity.role === 'manager')!;
    expect(['maria', 'mona']).toContain(managerCall[2].subject);
  });

  it('combines questions into one query only within a scope key', async () => {
    const run = recordingRun();
    hub = await SubscriptionHub.start({ bus, run });
    const managerAtOslo = scope('maria', 'manager', [OSLO]);
    const ids = hub.open(prepared(`subscription { stockChanged { id } }`), managerAtOslo, () => {});
    const deltas = hub.open(prepared(`subscription { change: stockChanged { id delta } }`), managerAtOslo, () => {});
    const adminIds = hub.open(prepared(`subscription { stockChanged { id } }`), ADMIN, () => {});
    const event = stockChanged(OSLO);
    await bus.publish('inventory.stock', [event]);
    expect(await next(ids)).toEqual({ data: { stockChanged: { id: event.id } } });
    expect(await next(deltas)).toEqual({ data: { change: { id: event.id } } });
    expect(await next(adminIds)).toEqual({ data: { stockChanged: { id: event.id } } });
    expect(run).toHaveBeenCalledTimes(2);
    const combined = run.mock.calls.find(([query]) => query.includes('JoineryLiveEvents'))!;
    expect([...combined[0].matchAll(/e\d+_q\d+:/g)]).toHaveLength(2);
    expect(combined[2]).toMatchObject({ role: 'manager', locations: [OSLO] });
    const alone = run.mock.calls.find(([query]) => !query.includes('JoineryLiveEvents'))!;
    expect(alone[2]).toMatchObject({ role: 'admin', locations: '*' });
  });

  it('batches waiting events of one scope together, never with another scope\'s', async () => {
    const calls: { query: string; identity: Identity; finish(): void }[] = [];
    const run = (query: string, variables: Record<string, unknown>, identity: Identity) =>
      new Promise<FormattedExecutionResult>((resolve) => {
        const data = query.includes('JoineryLiveEvents')
          ? Object.fromEntries([...query.matchAll(/(e(\d+)_q\d+): stockChange/g)].map(([, alias, i]) => [alias, { id: variables[`joineryEvent${i}`] }]))
          : { stockChanged: { id: variables.joineryEventId } };
        calls.push({ query, identity, finish: () => resolve({ data }) });
      });
    hub = await SubscriptionHub.start({ bus, run, maxConcurrentResolutions: 1 });
    const question = `subscription { stockChanged { id } }`;
    const oslo = hub.open(prepared(question), scope('maria', 'manager', [OSLO]), () => {});
    const bergen = hub.open(prepared(question), scope('bjorn', 'manager', [BERGEN]), () => {});
    const events = [stockChanged(OSLO), stockChanged(OSLO), stockChanged(BERGEN), stockChanged(OSLO), stockChanged(BERGEN)];
    for (const each of events) await bus.publish('inventory.stock', [each]);
    // The first runs alone; the rest wait, then go by scope: Oslo's two together, Bergen's two together.
    for (let i = 0; i < 3; i += 1) {
      calls[i].finish();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(calls.map(({ identity, query }) => [identity.subject, [...query.matchAll(/e\d+_q\d+:/g)].length || 1])).toEqual([
      ['maria', 1],
      ['maria', 2],
      ['bjorn', 2],
    ]);
    for (const each of [events[0], events[1], events[3]]) expect(await next(oslo)).toEqual({ data: { stockChanged: { id: each.id } } });
    for (const each of [events[2], events[4]]) expect(await next(bergen)).toEqual({ data: { stockChanged: { id: each.id } } });
  });
});
