import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, expectData } from '@joinery/core/testing';
import type { MarketingSubgraph } from '../server';
import { engagementWebhookRoute } from './engagement-route';
import { signWebhook } from './signature';
import { sleep, startMarketing } from './webhook-testing';

const TOUCHPOINT = 'id customerId type occurredAt url utmSource utmMedium utmCampaign utmTerm utmContent receivedAt externalId campaign { id name } source { id }';

describe.each(backends())('inbound engagement webhooks on $name', (backend) => {
  let subgraph: MarketingSubgraph;
  let url: string;
  let base: string;
  let source: { id: string; path: string };
  let secret: string;
  let campaignId: string;
  const ok = (query: string, variables?: Record<string, unknown>) => expectData(url, query, variables);

  beforeAll(async () => {
    ({ subgraph, url } = await startMarketing(backend));
    base = url.replace(/\/graphql$/, '');
    const created = (await ok(`mutation($input: CreateEngagementSourceInput!) { createEngagementSource(input: $input) { source { id name provider path } signingSecret userErrors { message } } }`,
      { input: { name: 'Newsletter platform', provider: 'MAILCHIMP' } })).createEngagementSource;
    expect(created.userErrors).toEqual([]);
    expect(created.source).toMatchObject({ name: 'Newsletter platform', provider: 'MAILCHIMP', path: `/webhooks/engagement/${created.source.id}` });
    ({ source, signingSecret: secret } = created);
    const campaign = (await ok(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } userErrors { message } } }`,
      { input: { name: 'Spring Sofas', channel: 'EMAIL', startsAt: '2026-04-01T00:00:00Z', budget: '1000.00' } })).createCampaign;
    campaignId = campaign.campaign.id;
  });
  afterAll(async () => {
    await subgraph?.stop();
    await backend.cleanup();
  });

  const now = () => Math.floor(Date.now() / 1000);

  async function post(path: string, body: string, signature: string | null = signWebhook(secret, body, now())) {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'joinery-webhook-signature': signature } : {}) }, body });
    return { status: response.status, body: (await response.json()) as any };
  }

  const event = (overrides: Record<string, unknown> = {}) => ({
    id: `evt-${randomUUID()}`, type: 'EMAIL_CLICK', customerId: 'cust-42', campaignId, occurredAt: '2026-05-04T10:15:00Z', url: 'https://shop.example/sofa',
    utm: { source: 'newsletter', medium: 'email', campaign: 'spring', term: 'sofa', content: 'hero' }, ...overrides,
  });

  const stored = async () => ({
    touchpoints: await subgraph.prisma.touchpoint.count(),
    events: await subgraph.prisma.outboxEvent.count({ where: { type: 'marketing.touchpoint_recorded' } }),
    rejections: await subgraph.prisma.inboundWebhookRejection.count(),
  });

  it('stores a signed event as a touchpoint with its marketing.touchpoint_recorded event; a repeated id stores nothing new', async () => {
    const before = await stored();
    const body = event();
    const first = await post(source.path, JSON.stringify(body));
    expect(first).toEqual({ status: 200, body: { received: true, touchpointId: expect.any(String), duplicate: false } });
    expect(await stored()).toEqual({ ...before, touchpoints: before.touchpoints + 1, events: before.events + 1 });

    const { touchpoints } = await ok(`query($filter: TouchpointFilter) { touchpoints(filter: $filter) { totalCount nodes { ${TOUCHPOINT} } } }`, { filter: { customerId: 'cust-42', types: ['EMAIL_CLICK'] } });
    expect(touchpoints.nodes).toContainEqual({
      id: first.body.touchpointId, customerId: 'cust-42', type: 'EMAIL_CLICK', occurredAt: '2026-05-04T10:15:00.000Z', url: 'https://shop.example/sofa',
      utmSource: 'newsletter', utmMedium: 'email', utmCampaign: 'spring', utmTerm: 'sofa', utmContent: 'hero', receivedAt: expect.any(String), externalId: body.id,
      campaign: { id: campaignId, name: 'Spring Sofas' }, source: { id: source.id },
    });
    const [recorded] = await subgraph.prisma.outboxEvent.findMany({ where: { type: 'marketing.touchpoint_recorded', payload: { path: ['touchpointId'], equals: first.body.touchpointId } } });
    expect(recorded).toMatchObject({
      aggregate: 'cust-42',
      payload: { touchpointId: first.body.touchpointId, sourceId: source.id, externalId: body.id, customerId: 'cust-42', campaignId, type: 'EMAIL_CLICK', occurredAt: '2026-05-04T10:15:00.000Z' },
    });

    const again = await post(source.path, JSON.stringify(body));
    expect(again).toEqual({ status: 200, body: { received: true, touchpointId: first.body.touchpointId, duplicate: true } });
    expect(await stored()).toEqual({ ...before, touchpoints: before.touchpoints + 1, events: before.events + 1 });
  });

  it('takes the campaign from utm.campaign when that is a known campaign id, and leaves it empty otherwise', async () => {
    const fromUtm = await post(source.path, JSON.stringify(event({ campaignId: undefined, customerId: 'cust-utm', type: 'AD_CLICK', utm: { campaign: campaignId.toUpperCase() } })));
    const plain = await post(source.path, JSON.stringify(event({ campaignId: null, customerId: 'cust-utm', type: 'STORE_VISIT', occurredAt: '2026-05-05T09:00:00Z', utm: { campaign: 'spring' } })));
    expect([fromUtm.status, plain.status]).toEqual([200, 200]);
    const { touchpoints } = await ok(`{ touchpoints(filter: { customerId: "cust-utm" }) { nodes { id type campaign { id } } } }`);
    expect(touchpoints.nodes).toEqual([
      { id: plain.body.touchpointId, type: 'STORE_VISIT', campaign: null },
      { id: fromUtm.body.touchpointId, type: 'AD_CLICK', campaign: { id: campaignId } },
    ]);
    const { campaign } = await ok(`query($id: ID!) { campaign(id: $id) { touchpoints { totalCount nodes { id } } } }`, { id: campaignId });
    expect(campaign.touchpoints.nodes.map((node: { id: string }) => node.id)).toContain(fromUtm.body.touchpointId);
    expect(campaign.touchpoints.nodes.map((node: { id: string }) => node.id)).not.toContain(plain.body.touchpointId);
    const window = await ok(`{ touchpoints(filter: { customerId: "cust-utm", from: "2026-05-05T00:00:00Z", to: "2026-05-06T00:00:00Z" }) { nodes { id } } }`);
    expect(window.touchpoints.nodes).toEqual([{ id: plain.body.touchpointId }]);
  });

  it('refuses bad requests with their status, records each refusal, and stores no touchpoint or event', async () => {
    const before = await stored();
    const body = JSON.stringify(event({ customerId: 'cust-refused' }));
    const stale = now() - 600;
    // signature: null sends none; left out, the request is signed correctly.
    const cases: { name: string; path: string; body: string; signature?: string | null; status: number; reason: RegExp; sourceId: string | null }[] = [
      { name: 'unsigned', path: source.path, body, signature: null, status: 401, reason: /missing/, sourceId: source.id },
      { name: 'bad signature', path: source.path, body, signature: signWebhook('whsec_wrong', body, now()), status: 401, reason: /mismatch/, sourceId: source.id },
      { name: 'tampered body', path: source.path, body: body.replace('cust-refused', 'cust-other'), signature: signWebhook(secret, body, now()), status: 401, reason: /mismatch/, sourceId: source.id },
      { name: 'stale timestamp', path: source.path, body, signature: signWebhook(secret, body, stale), status: 401, reason: /stale/, sourceId: source.id },
      { name: 'bad body', path: source.path, body: JSON.stringify(event({ type: 'PAGE_VIEW' })), status: 400, reason: /type must be one of/, sourceId: source.id },
      { name: 'unknown campaign', path: source.path, body: JSON.stringify(event({ campaignId: randomUUID() })), status: 400, reason: /no campaign with id/, sourceId: source.id },
      { name: 'unknown source', path: `/webhooks/engagement/${randomUUID()}`, body, signature: signWebhook(secret, body, now()), status: 404, reason: /No engagement source/, sourceId: null },
      { name: 'not a source id', path: '/webhooks/engagement/newsletter', body, signature: signWebhook(secret, body, now()), status: 404, reason: /No engagement source/, sourceId: null },
      { name: 'too large', path: source.path, body: JSON.stringify(event({ url: 'x'.repeat(70 * 1024) })), status: 413, reason: /exceeds 65536 bytes/, sourceId: source.id },
    ];
    for (const each of cases) {
      const answer = await post(each.path, each.body, each.signature);
      expect({ name: each.name, status: answer.status }).toEqual({ name: each.name, status: each.status });
      expect(answer.body.error.message).toMatch(each.reason);
    }
    expect((await post(source.path, JSON.stringify(event({ type: 'PAGE_VIEW' })))).body.error.field).toBe('type');

    expect(await stored()).toEqual({ ...before, rejections: before.rejections + cases.length + 1 });
    const { inboundWebhookRejections } = await ok(`{ inboundWebhookRejections(first: 10) { nodes { httpStatus reason path bodyExcerpt receivedAt source { id } } } }`);
    const newestFirst = [...cases].reverse();
    expect(inboundWebhookRejections.nodes.slice(1).map((node: { httpStatus: number; source: { id: string } | null; path: string }) => [node.httpStatus, node.source?.id ?? null, node.path]))
      .toEqual(newestFirst.map((each) => [each.status, each.sourceId, each.path]));
    for (const node of inboundWebhookRejections.nodes) expect(Buffer.byteLength(node.bodyExcerpt ?? '')).toBeLessThanOrEqual(1024);
    // Only a signed request's body is kept (its first KiB): an unauthenticated client cannot fill the table.
    const excerpts = inboundWebhookRejections.nodes.slice(1).reverse().map((node: { bodyExcerpt: string | null }, index: number) => [cases[index].name, node.bodyExcerpt !== null]);
    expect(excerpts).toEqual(cases.map((each) => [each.name, each.status === 400]));
  });

  /** POSTs with node:http, so the answer can be read while the body is still being sent. */
  function rawPost(path: string, headers: Record<string, string | number>, send: (request: ClientRequest, answered: () => boolean) => void) {
    return new Promise<{ status: number; body: string }>((resolve) => {
      let answered = false;
      const request = httpRequest(`${base}${path}`, { method: 'POST', headers }, (response) => {
        answered = true;
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        const done = () => resolve({ status: response.statusCode!, body });
        response.on('end', done).on('error', done).on('aborted', done);
      });
      // The server may cut the connection while this side is still sending: the answer is what counts.
      request.on('error', () => {});
      send(request, () => answered);
    });
  }

  const latestRejection = async () => (await subgraph.prisma.inboundWebhookRejection.findMany({ orderBy: { id: 'desc' }, take: 1 }))[0];

  it('answers 413 from a Content-Length over the limit at once, without waiting for the body', async () => {
    const answer = await rawPost(source.path, { 'content-type': 'application/json', 'content-length': 10 * 1024 * 1024 }, (request) => request.write('{"id":'));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.message).toMatch(/exceeds 65536 bytes/);
    expect(await latestRejection()).toMatchObject({ status: 413, sourceId: source.id, bodyExcerpt: null });
  });

  it('stops reading a much larger chunked body at the limit, answers 413 and records it (it used to hang)', async () => {
    const before = await stored();
    const answer = await rawPost(source.path, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, async (request, answered) => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      for (let sent = 0; sent < 3 * 1024 * 1024 && !answered() && !request.destroyed; sent += chunk.length) {
        if (!request.write(chunk)) await Promise.race([once(request, 'drain'), once(request, 'close'), sleep(100)]);
      }
      if (!request.destroyed) request.end();
    });
    expect(answer.status).toBe(413);
    expect(await stored()).toEqual({ ...before, rejections: before.rejections + 1 });
    expect(await latestRejection()).toMatchObject({ status: 413, sourceId: source.id, bodyExcerpt: null });
  });

  it('settles, recording nothing, when the client goes away before the body ends', async () => {
    const before = await stored();
    const request = Object.assign(new PassThrough(), { url: source.path, headers: { 'content-type': 'application/json' }, complete: false }) as unknown as IncomingMessage;
    const response = { writeHead: () => response, end: () => response } as unknown as ServerResponse;
    const handled = engagementWebhookRoute(subgraph.prisma)(request, response);
    (request as unknown as PassThrough).write('{"id":"evt-');
    setTimeout(() => request.destroy(), 20);
    const outcome = await Promise.race([handled.then(() => 'settled'), sleep(3_000).then(() => 'still waiting')]);
    expect(outcome).toBe('settled');
    expect(await stored()).toEqual(before);
  });

  it('accepts the previous secret while a rotation overlaps, and only the new one after a rotation without overlap', async () => {
    const rotate = async (keepPreviousSecretMinutes: number) => (await ok(`mutation($input: RotateEngagementSourceSecretInput!) { rotateEngagementSourceSecret(input: $input) { signingSecret userErrors { message } } }`,
      { input: { id: source.id, keepPreviousSecretMinutes } })).rotateEngagementSourceSecret.signingSecret as string;
    const old = secret;
    const overlapping = await rotate(10);
    const sign = (key: string) => (body: string) => signWebhook(key, body, now());
    const body = JSON.stringify(event({ customerId: 'cust-rotation' }));
    expect((await post(source.path, body, sign(old)(body))).status).toBe(200);
    const newest = await rotate(0);
    const next = JSON.stringify(event({ customerId: 'cust-rotation' }));
    expect((await post(source.path, next, sign(overlapping)(next))).status).toBe(401);
    expect((await post(source.path, next, sign(newest)(next))).status).toBe(200);
    secret = newest;
  });
});
