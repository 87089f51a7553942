import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type Database } from '@joinery/core';
import { backends, expectData } from '@joinery/core/testing';
import type { MarketingSubgraph } from '../server';
import { enqueueWebhookDelivery, type WebhookDeliveryRequest } from './enqueue';
import { verifyWebhookSignature } from './signature';
import { WebhookWorker, type WebhookWorkerOptions } from './webhook-worker';
import { eventually, sleep, startMarketing, startReceiver, type ReceivedRequest } from './webhook-testing';

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id name provider url status disabledReason hasAuthorizationHeader } signingSecret userErrors { field message code } } }`;
const UPDATE = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
  endpoint { id status disabledReason disabledAt consecutiveFailures } userErrors { field message code } } }`;
const DELIVERY = `query($id: ID!) { webhookDelivery(id: $id) { id eventId eventType status attemptCount nextAttemptAt lastAttemptAt endpoint { id }
  attempts { number attemptedAt durationMs responseStatus responseBody error } } }`;

const fastRetries: Partial<WebhookWorkerOptions> = { retry: { firstRetryMs: 40, maxDelayMs: 80, jitter: 0 }, pollIntervalMs: 10 };

describe.each(backends())('outbound webhooks on $name', (backend) => {
  let subgraph: MarketingSubgraph;
  let database: Database;
  let url: string;
  const workers: WebhookWorker[] = [];
  const ok = (query: string, variables?: Record<string, unknown>) => expectData(url, query, variables);

  beforeAll(async () => {
    ({ subgraph, url, database } = await startMarketing(backend));
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await subgraph?.stop();
    await backend.cleanup();
  });

  const worker = (options: Partial<WebhookWorkerOptions> = {}) => {
    const created = new WebhookWorker({ prisma: subgraph.prisma, ...fastRetries, log: (line) => { if (line.level === 'error') console.error(line); }, ...options });
    workers.push(created);
    return created;
  };

  async function createEndpoint(input: Record<string, unknown>) {
    const { createWebhookEndpoint: created } = await ok(CREATE, { input: { name: 'CRM', provider: 'GENERIC', ...input } });
    expect(created.userErrors).toEqual([]);
    return created as { endpoint: { id: string }; signingSecret: string };
  }

  const enqueue = (request: Partial<WebhookDeliveryRequest> & { endpointId: string }) =>
    subgraph.prisma.$transaction((tx) => enqueueWebhookDelivery(tx, {
      eventId: uuidv7(), eventType: 'marketing.rule_fired', occurredAt: '2026-05-04T10:00:00.000Z', data: { customerId: 'cust-42', sku: 'OAK-TBL-180' }, ...request,
    }));

  const delivery = async (id: string) => (await ok(DELIVERY, { id })).webhookDelivery;

  it('creates an endpoint, shows its secret once, and refuses a URL that is not http(s)', async () => {
    const created = await createEndpoint({ url: 'https://crm.example/hooks', authorizationHeader: 'Bearer pat-123' });
    expect(created.endpoint).toMatchObject({ provider: 'GENERIC', status: 'ENABLED', disabledReason: null, hasAuthorizationHeader: true });
    expect(created.signingSecret).toMatch(/^whsec_/);
    const read = await ok(`query($id: ID!) { webhookEndpoint(id: $id) { id url } webhookEndpoints(first: 50) { nodes { id } } }`, { id: created.endpoint.id });
    expect(read.webhookEndpoint).toEqual({ id: created.endpoint.id, url: 'https://crm.example/hooks' });
    expect(read.webhookEndpoints.nodes.map((node: { id: string }) => node.id)).toContain(created.endpoint.id);

    for (const bad of ['ftp://crm.example/hooks', 'crm.example/hooks', 'https://user:pw@crm.example/hooks']) {
      const { createWebhookEndpoint: refused } = await ok(CREATE, { input: { name: 'Bad', provider: 'HUBSPOT', url: bad } });
      expect(refused).toEqual({ endpoint: null, signingSecret: null, userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'url'], message: expect.any(String) }] });
    }
  });

  it('replays createWebhookEndpoint by idempotencyKey: one endpoint, the same secret', async () => {
    const before = await subgraph.prisma.webhookEndpoint.count();
    const input = { name: 'Klaviyo', provider: 'KLAVIYO', url: 'https://a.klaviyo.example/api/events', idempotencyKey: 'endpoint-klaviyo' };
    const first = (await ok(CREATE, { input })).createWebhookEndpoint;
    const replay = (await ok(CREATE, { input })).createWebhookEndpoint;
    expect(replay).toEqual(first);
    expect(await subgraph.prisma.webhookEndpoint.count()).toBe(before + 1);
  });

  it('delivers a signed request the receiver verifies; failing twice then succeeding records 3 attempts and one success', async () => {
    let secret = '';
    const receiver = await startReceiver((request, index) => {
      const check = verifyWebhookSignature({ secret, header: request.headers['joinery-webhook-signature'] as string, body: request.body });
      if (!check.ok) return { status: 400, body: check.message };
      return index < 2 ? { status: 500, body: `down ${index + 1}` } : { status: 204 };
    });
    try {
      const created = await createEndpoint({ url: receiver.url });
      secret = created.signingSecret;
      const eventId = uuidv7();
      const queued = await enqueue({ endpointId: created.endpoint.id, eventId });
      expect(queued).toEqual({ deliveryId: expect.any(String) });
      const sender = worker();
      await eventually(async () => (await sender.runOnce(), (await delivery(queued!.deliveryId)).status !== 'PENDING'), 15_000, 'the delivery to finish');

      expect(receiver.received).toHaveLength(3);
      for (const request of receiver.received) {
        expect(request.headers['joinery-webhook-id']).toBe(queued!.deliveryId);
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.headers['joinery-webhook-signature']).toContain(`t=${request.headers['joinery-webhook-timestamp']},v1=`);
        expect(JSON.parse(request.body)).toEqual({ id: eventId, type: 'marketing.rule_fired', occurredAt: '2026-05-04T10:00:00.000Z', data: { customerId: 'cust-42', sku: 'OAK-TBL-180' } });
      }
      expect(new Set(receiver.received.map((request) => request.body)).size).toBe(1);
      const done = await delivery(queued!.deliveryId);
      expect(done).toMatchObject({ eventId, status: 'SUCCEEDED', attemptCount: 3, nextAttemptAt: null, endpoint: { id: created.endpoint.id } });
      expect(done.attempts.map((attempt: { number: number; responseStatus: number; responseBody: string; error: null }) => [attempt.number, attempt.responseStatus, attempt.responseBody, attempt.error]))
        .toEqual([[1, 500, 'down 1', null], [2, 500, 'down 2', null], [3, 204, '', null]]);
      // Back-off: each retry waited at least the configured delay after the attempt before it.
      const times = done.attempts.map((attempt: { attemptedAt: string }) => Date.parse(attempt.attemptedAt));
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(35);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(75);
      expect(done.lastAttemptAt).toBe(done.attempts[2].attemptedAt);
      const endpoint = (await ok(`query($id: ID!) { webhookEndpoint(id: $id) { consecutiveFailures deliveries(statuses: [SUCCEEDED]) { totalCount nodes { id } } } }`, { id: created.endpoint.id })).webhookEndpoint;
      expect(endpoint).toEqual({ consecutiveFailures: 0, deliveries: { totalCount: 1, nodes: [{ id: queued!.deliveryId }] } });
    } finally {
      await receiver.close();
    }
  });

  it('answers deliveries for many endpoints with one query for the pages and one for the counts per set of arguments', async () => {
    const endpoints: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      const { endpoint } = await createEndpoint({ url: 'http://127.0.0.1:9/never' });
      endpoints.push(endpoint.id);
      for (let delivery = 0; delivery <= index; delivery += 1) expect(await enqueue({ endpointId: endpoint.id })).not.toBeNull();
    }
    const DELIVERIES = `query($first: Int!) { webhookEndpoints(first: $first) { nodes { id
      deliveries(first: 2) { totalCount nodes { id } pageInfo { hasNextPage } }
      anyStatus: deliveries(first: 2, statuses: [FAILED, PENDING, SUCCEEDED]) { totalCount nodes { id } } } } }`;
    const run = async (first: number) => {
      database.statements.reset();
      const data = await ok(DELIVERIES, { first });
      return { nodes: data.webhookEndpoints.nodes as any[], statements: database.statements.count };
    };
    const two = await run(2);
    const four = await run(4);
    expect(four.statements).toBe(two.statements);
    expect(four.nodes.map((node) => node.id)).toEqual([...endpoints].reverse());
    expect(four.nodes.map((node) => [node.deliveries.totalCount, node.deliveries.nodes.length, node.deliveries.pageInfo.hasNextPage])).toEqual([[4, 2, true], [3, 2, true], [2, 2, false], [1, 1, false]]);
    expect(four.nodes.map((node) => node.anyStatus)).toEqual(four.nodes.map((node) => ({ totalCount: node.deliveries.totalCount, nodes: node.deliveries.nodes })));
    const newest = await subgraph.prisma.webhookDelivery.findMany({ where: { endpointId: endpoints[3] }, orderBy: { id: 'desc' }, take: 2 });
    expect(four.nodes[0].deliveries.nodes).toEqual(newest.map((row) => ({ id: row.id })));
    // Their pending deliveries would otherwise take the time of the workers in the tests after this one.
    for (const id of endpoints) expect((await ok(`mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { userErrors { code } } }`, { id })).deleteWebhookEndpoint.userErrors).toEqual([]);
  });

  it('queues one delivery per endpoint and event however often it is enqueued; none for a missing endpoint', async () => {
    const created = await createEndpoint({ url: 'http://127.0.0.1:9/never' });
    const eventId = uuidv7();
    const first = await enqueue({ endpointId: created.endpoint.id, eventId });
    expect(first).not.toBeNull();
    expect(await enqueue({ endpointId: created.endpoint.id, eventId })).toBeNull();
    expect(await enqueue({ endpointId: randomUUID(), eventId })).toBeNull();
    expect(await enqueue({ endpointId: 'not-an-id', eventId })).toBeNull();
    const { webhookEndpoint } = await ok(`query($id: ID!) { webhookEndpoint(id: $id) { deliveries { totalCount nodes { id eventId status } } } }`, { id: created.endpoint.id });
    expect(webhookEndpoint.deliveries).toEqual({ totalCount: 1, nodes: [{ id: first!.deliveryId, eventId, status: 'PENDING' }] });
  });

  it('gives a delivery up as FAILED once its next try would fall outside the retry period, keeping every attempt', async () => {
    const receiver = await startReceiver(() => ({ status: 502, body: 'bad gateway' }));
    try {
      const created = await createEndpoint({ url: receiver.url });
      const queued = await enqueue({ endpointId: created.endpoint.id });
      const sender = worker({ retry: { firstRetryMs: 60, maxDelayMs: 60, giveUpAfterMs: 150, jitter: 0 } });
      await eventually(async () => (await sender.runOnce(), (await delivery(queued!.deliveryId)).status !== 'PENDING'), 15_000, 'the delivery to fail');
      const failed = await delivery(queued!.deliveryId);
      expect(failed.status).toBe('FAILED');
      expect(failed.nextAttemptAt).toBeNull();
      expect(failed.attemptCount).toBeGreaterThanOrEqual(2);
      expect(failed.attempts).toHaveLength(failed.attemptCount);
      expect(receiver.received).toHaveLength(failed.attemptCount);
      expect(failed.attempts.every((attempt: { responseStatus: number }) => attempt.responseStatus === 502)).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('disables an endpoint that keeps failing, records the event and a log line, stops its deliveries; re-enabling resumes them', async () => {
    let status = 503;
    const receiver = await startReceiver(() => ({ status }));
    try {
      const created = await createEndpoint({ url: receiver.url, name: 'Flaky CRM' });
      const id = created.endpoint.id;
      const queued = [await enqueue({ endpointId: id }), await enqueue({ endpointId: id })];
      const logs: Record<string, unknown>[] = [];
      const sender = worker({ disable: { minConsecutiveFailures: 4, minFailingMs: 100 }, log: (line) => logs.push(line) });
      const endpointStatus = async () => (await subgraph.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id } })).status;
      await eventually(async () => (await sender.runOnce(), (await endpointStatus()) === 'DISABLED'), 15_000, 'the endpoint to be disabled');

      const disabled = (await ok(`query($id: ID!) { webhookEndpoint(id: $id) { status disabledReason disabledAt consecutiveFailures } }`, { id })).webhookEndpoint;
      expect(disabled.status).toBe('DISABLED');
      expect(disabled.disabledReason).toMatch(/attempts in a row failed .* the last: HTTP 503/);
      expect(disabled.disabledAt).not.toBeNull();
      expect(disabled.consecutiveFailures).toBeGreaterThanOrEqual(4);
      const events = await subgraph.prisma.outboxEvent.findMany({ where: { type: 'marketing.webhook_endpoint_disabled', aggregate: id } });
      expect(events).toHaveLength(1);
      const payload = events[0].payload as { consecutiveFailures: number };
      expect(payload).toMatchObject({ endpointId: id, name: 'Flaky CRM', provider: 'GENERIC', url: receiver.url, reason: disabled.disabledReason });
      // The other delivery's attempt, sent in the same round, may be counted after the endpoint was disabled.
      expect(payload.consecutiveFailures).toBeGreaterThanOrEqual(4);
      expect(disabled.disabledReason).toMatch(new RegExp(`^${payload.consecutiveFailures} attempts in a row failed`));
      // Other tests' endpoints share this database, and the worker serves them too: only this one's lines count.
      expect(logs.filter((line) => line.endpointId === id)).toEqual([expect.objectContaining({ level: 'warn', msg: 'webhook endpoint disabled', endpointId: id })]);

      // Disabled: nothing is sent, the deliveries wait, and an event fired meanwhile is queued to wait with them.
      const sent = receiver.received.length;
      const firedWhileDisabled = await enqueue({ endpointId: id });
      expect(firedWhileDisabled).toEqual({ deliveryId: expect.any(String) });
      queued.push(firedWhileDisabled);
      await sleep(120);
      expect(await sender.runOnce()).toBe(0);
      expect(receiver.received).toHaveLength(sent);
      for (const each of queued) expect((await delivery(each!.deliveryId)).status).toBe('PENDING');

      status = 200;
      const { updateWebhookEndpoint: enabled } = await ok(UPDATE, { input: { id, enabled: true } });
      expect(enabled).toEqual({ endpoint: { id, status: 'ENABLED', disabledReason: null, disabledAt: null, consecutiveFailures: 0 }, userErrors: [] });
      expect(await sender.runOnce()).toBe(3);
      for (const each of queued) expect((await delivery(each!.deliveryId)).status).toBe('SUCCEEDED');
    } finally {
      await receiver.close();
    }
  });

  it('never sends one delivery from two workers at once: each of 24 deliveries reaches the receiver once', async () => {
    const receiver = await startReceiver(async () => {
      await sleep(5);
      return { status: 200 };
    });
    try {
      const created = await createEndpoint({ url: receiver.url });
      const ids = new Set<string>();
      for (let index = 0; index < 24; index += 1) ids.add((await enqueue({ endpointId: created.endpoint.id }))!.deliveryId);
      const [a, b] = [worker({ batchSize: 5 }), worker({ batchSize: 5 })];
      const pending = () => subgraph.prisma.webhookDelivery.count({ where: { endpointId: created.endpoint.id, status: 'PENDING' } });
      const deadline = Date.now() + 20_000;
      const drain = async (sender: WebhookWorker) => {
        while ((await pending()) > 0 && Date.now() < deadline) {
          await sender.runOnce();
          await sleep(5);
        }
      };
      await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
      const seen = receiver.received.map((request: ReceivedRequest) => request.headers['joinery-webhook-id'] as string);
      expect(seen).toHaveLength(24);
      expect(new Set(seen)).toEqual(ids);
      expect(await subgraph.prisma.webhookAttempt.count({ where: { delivery: { endpointId: created.endpoint.id } } })).toBe(24);
    } finally {
      await receiver.close();
    }
  });

  it('lets another worker take a delivery whose worker died mid-attempt once the lease ends, and not before', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    let release: (() => void) | undefined;
    try {
      const created = await createEndpoint({ url: receiver.url });
      const queued = await enqueue({ endpointId: created.endpoint.id });
      const stuck = worker({
        timeoutMs: 300,
        responseBodyTimeoutMs: 50,
        leaseMs: 400,
        fetch: (() => new Promise<Response>((resolve) => { release = () => resolve(new Response('late', { status: 500 })); })) as typeof fetch,
      });
      const other = worker();
      const stuckRound = stuck.runOnce();
      await eventually(async () => release !== undefined, 5_000, 'the first worker to send');
      expect(await other.runOnce()).toBe(0);
      expect(receiver.received).toHaveLength(0);

      await sleep(450);
      expect(await other.runOnce()).toBe(1);
      expect(receiver.received).toHaveLength(1);
      expect((await delivery(queued!.deliveryId)).status).toBe('SUCCEEDED');

      // The stuck attempt ends late: it is kept, and changes nothing else.
      release!();
      await stuckRound;
      const done = await delivery(queued!.deliveryId);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.attempts.map((attempt: { number: number; responseStatus: number }) => [attempt.number, attempt.responseStatus])).toEqual([[1, 200], [2, 500]]);
    } finally {
      release?.();
      await receiver.close();
    }
  });

  it('records a receiver that does not answer in time as an attempt with an error and no status', async () => {
    const receiver = await startReceiver(async () => {
      await sleep(1_000);
      return { status: 200 };
    });
    try {
      const created = await createEndpoint({ url: receiver.url });
      const queued = await enqueue({ endpointId: created.endpoint.id });
      await worker({ timeoutMs: 100, responseBodyTimeoutMs: 100, leaseMs: 1_000 }).runOnce();
      const attempted = await delivery(queued!.deliveryId);
      expect(attempted).toMatchObject({ status: 'PENDING', attemptCount: 1, attempts: [{ number: 1, responseStatus: null, responseBody: null, error: 'no answer within 100 ms' }] });
      expect(attempted.nextAttemptAt).not.toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it('a 2xx whose body trickles past timeoutMs is delivered with a truncated excerpt, not retried as "no answer"', async () => {
    const slow = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('accepted');
        const timer = setTimeout(() => response.end(' and processed'), 1_500);
        response.on('close', () => clearTimeout(timer));
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const created = await createEndpoint({ url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hooks` });
      const queued = await enqueue({ endpointId: created.endpoint.id });
      await worker({ timeoutMs: 300, responseBodyTimeoutMs: 200, leaseMs: 2_000 }).runOnce();
      const done = await delivery(queued!.deliveryId);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1, nextAttemptAt: null, attempts: [{ number: 1, responseStatus: 200, responseBody: 'accepted', error: null }] });
      expect(done.attempts[0].durationMs).toBeLessThan(1_500);
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('refuses a lease that does not cover the time limits of one attempt', () => {
    expect(() => new WebhookWorker({ prisma: subgraph.prisma, timeoutMs: 300, responseBodyTimeoutMs: 200, leaseMs: 400 })).toThrow(/leaseMs \(400\) must be longer than timeoutMs \+ responseBodyTimeoutMs \(300 \+ 200\)/);
  });

  // PGlite runs in this process: its clock is the one the test turns back, so only PostgreSQL can show it.
  it.skipIf(backend.name === 'pglite')("measures an endpoint's failing span on the database's clock, not the worker's", async () => {
    const receiver = await startReceiver(() => ({ status: 500 }));
    try {
      const created = await createEndpoint({ url: receiver.url });
      await enqueue({ endpointId: created.endpoint.id });
      // A worker whose clock is a day behind: failing_since must still be the database's time.
      const behind = worker();
      const realNow = Date.now;
      Date.now = () => realNow() - 86_400_000;
      const RealDate = Date;
      globalThis.Date = class extends RealDate {
        constructor(...args: any[]) {
          super(...((args.length ? args : [Date.now()]) as []));
        }
      } as DateConstructor;
      try {
        await behind.runOnce();
      } finally {
        globalThis.Date = RealDate;
        Date.now = realNow;
      }
      const [row] = await subgraph.prisma.$queryRaw<{ failing_since: Date; db_now: Date }[]>`
        SELECT failing_since, clock_timestamp() AS db_now FROM webhook_endpoints WHERE id = ${created.endpoint.id}::uuid`;
      expect(Math.abs(new Date(row.db_now).getTime() - new Date(row.failing_since).getTime())).toBeLessThan(60_000);
    } finally {
      await receiver.close();
    }
  });

  it('rotates the secret: signs with both while the old one overlaps, and shows the new one once', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    try {
      const created = await createEndpoint({ url: receiver.url });
      const rotated = (await ok(`mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { endpoint { id } signingSecret userErrors { message } } }`,
        { input: { id: created.endpoint.id, keepPreviousSecretMinutes: 60 } })).rotateWebhookSecret;
      expect(rotated.signingSecret).toMatch(/^whsec_/);
      expect(rotated.signingSecret).not.toBe(created.signingSecret);
      await enqueue({ endpointId: created.endpoint.id });
      await worker().runOnce();
      const [request] = receiver.received;
      for (const secret of [created.signingSecret, rotated.signingSecret]) {
        expect(verifyWebhookSignature({ secret, header: request.headers['joinery-webhook-signature'] as string, body: request.body }).ok).toBe(true);
      }
    } finally {
      await receiver.close();
    }
  });

  it('deleting an endpoint keeps its deliveries and attempts readable, hides it, fails its pending deliveries and queues nothing more', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    try {
      const created = await createEndpoint({ url: receiver.url });
      const id = created.endpoint.id;
      const sentBefore = await enqueue({ endpointId: id });
      await worker().runOnce();
      const waiting = await enqueue({ endpointId: id });
      const DELETE = `mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { deletedId userErrors { code message } } }`;
      const deleted = (await ok(DELETE, { input: { id } })).deleteWebhookEndpoint;
      expect(deleted).toEqual({ deletedId: id, userErrors: [] });

      const kept = await ok(`query($id: ID!) { webhookDelivery(id: $id) { status attemptCount endpoint { id deletedAt } attempts { number responseStatus responseBody } } }`, { id: sentBefore!.deliveryId });
      expect(kept.webhookDelivery).toEqual({ status: 'SUCCEEDED', attemptCount: 1, endpoint: { id, deletedAt: expect.any(String) }, attempts: [{ number: 1, responseStatus: 200, responseBody: 'ok' }] });
      expect(await delivery(waiting!.deliveryId)).toMatchObject({ status: 'FAILED', nextAttemptAt: null, attempts: [] });
      expect(await subgraph.prisma.webhookAttempt.count({ where: { deliveryId: sentBefore!.deliveryId } })).toBe(1);

      const read = await ok(`query($id: ID!) { webhookEndpoint(id: $id) { id } webhookEndpoints(first: 100) { nodes { id } } }`, { id });
      expect(read.webhookEndpoint).toBeNull();
      expect(read.webhookEndpoints.nodes.map((node: { id: string }) => node.id)).not.toContain(id);
      expect(await enqueue({ endpointId: id })).toBeNull();
      await worker().runOnce();
      expect(receiver.received).toHaveLength(1);

      for (const mutation of [DELETE, UPDATE]) {
        const again = Object.values(await ok(mutation, { input: { id } }))[0] as { userErrors: { code: string; message: string }[] };
        expect(again.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', message: `No webhook endpoint with id ${id}` })]);
      }
    } finally {
      await receiver.close();
    }
  });
});
