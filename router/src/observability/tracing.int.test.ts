/**
 * Traces through a real stack: one client operation is one trace, from the router's operation span
 * through the gateway's fetch spans to each subgraph's operation span, and on through a subgraph's
 * own calls to another (sales asking inventory while it records a sale).
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTracing, type Tracing } from '@joinery/core';
import { backends, createTestLocation, expectData, gql } from '@joinery/core/testing';
import { startStack, type Stack } from '@joinery/stack';

const RECORD_SALE = `mutation RecordSale($input: RecordSaleInput!) { recordSale(input: $input) { order { id } userErrors { message } } }`;

// One provider for the whole file: the gateway keeps the first tracer it is given for the process's life.
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
beforeAll(async () => {
  tracing = (await startTracing({ service: 'stack', exporter }))!;
});
afterAll(async () => {
  await tracing?.shutdown();
});

const attribute = (span: ReadableSpan, name: string) => span.attributes[name];
const isOperation = (service: string) => (span: ReadableSpan) => span.kind === SpanKind.SERVER && attribute(span, 'joinery.service') === service;

/** The finished spans of the trace whose router operation span is named `name`, once that span and its subgraph spans have ended. */
async function traceOf(name: string): Promise<{ root: ReadableSpan; spans: ReadableSpan[]; byId: Map<string, ReadableSpan> }> {
  let root: ReadableSpan | undefined;
  await vi.waitFor(
    async () => {
      await tracing.forceFlush();
      root = exporter.getFinishedSpans().find((span) => isOperation('router')(span) && span.name === name);
      expect(root).toBeDefined();
    },
    { timeout: 10_000, interval: 50 },
  );
  const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === root!.spanContext().traceId);
  return { root: root!, spans, byId: new Map(spans.map((span) => [span.spanContext().spanId, span])) };
}

describe.each(backends())('traces through the router on $name', (backend) => {
  let stack: Stack;
  let url: string;
  let oslo: string;

  beforeAll(async () => {
    stack = await startStack({ targets: backend.targets(), ports: { router: 0, inventory: 0, sales: 0, marketing: 0 } });
    url = stack.urls.router;
    oslo = await createTestLocation(url, 'OSL-STORE-1', 'Oslo Store');
    await expectData(url, `mutation { createProduct(input: { sku: "OAK-TBL-180", name: "Oak Table", category: "tables", price: "1299.00" }) { userErrors { message } } }`);
    await expectData(url, `mutation($l: ID!) { adjustInventory(input: { locationId: $l, sku: "OAK-TBL-180", delta: 5, reason: RECEIVED }) { userErrors { message } } }`, { l: oslo });
  });
  afterAll(async () => {
    await stack?.stop();
    await backend.cleanup();
  });

  it('one trace per operation: router span → gateway fetch → subgraph span → its calls to another subgraph → that subgraph\'s span', async () => {
    exporter.reset();
    const sale = await expectData(url, RECORD_SALE, { input: { locationId: oslo, paymentMethod: 'CARD', lines: [{ sku: 'OAK-TBL-180', quantity: 1 }] } });
    expect(sale.recordSale.userErrors).toEqual([]);
    const { root, spans, byId } = await traceOf('mutation RecordSale');
    const parentOf = (span: ReadableSpan) => (span.parentSpanContext ? byId.get(span.parentSpanContext.spanId) : undefined);

    // The router's span starts the trace and names the operation and the request.
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'RecordSale', 'http.response.status_code': 200 });
    const requestId = attribute(root, 'joinery.request_id');
    expect(requestId).toEqual(expect.any(String));
    expect(root.status.code).not.toBe(SpanStatusCode.ERROR);

    // The gateway's spans hang under it (a first run of this operation: planned, not from the plan cache); one fetch to sales.
    expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(['gateway.request', 'gateway.validate', 'gateway.plan', 'gateway.execute', 'gateway.fetch', 'gateway.postprocessing']));
    const gatewayRequest = spans.find((span) => span.name === 'gateway.request')!;
    expect(parentOf(gatewayRequest)).toBe(root);
    const fetches = spans.filter((span) => span.name === 'gateway.fetch');
    expect(fetches.map((span) => attribute(span, 'service'))).toEqual(['sales']);

    // Sales' operation span continues the trace from that fetch and carries the same request id.
    const salesOperations = spans.filter(isOperation('sales'));
    expect(salesOperations).toHaveLength(1);
    expect(parentOf(salesOperations[0]!)).toBe(fetches[0]);
    expect(attribute(salesOperations[0]!, 'joinery.request_id')).toBe(requestId);

    // Sales asks inventory (locations, products, then the stock): each call a client span under sales' operation, each answered by an inventory span under it.
    const calls = spans.filter((span) => span.kind === SpanKind.CLIENT && attribute(span, 'joinery.subgraph') === 'inventory');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(parentOf(call)).toBe(salesOperations[0]);
    const inventoryOperations = spans.filter(isOperation('inventory'));
    expect(inventoryOperations).toHaveLength(calls.length);
    for (const operation of inventoryOperations) {
      expect(calls).toContain(parentOf(operation));
      expect(attribute(operation, 'joinery.request_id')).toBe(requestId);
    }
    expect(inventoryOperations.map((span) => span.name)).toContainEqual(expect.stringMatching(/^mutation /));
  });

  it('a query across subgraphs: one fetch span per subgraph call, each subgraph span its child', async () => {
    exporter.reset();
    await expectData(url, `query StoreSales { locations(first: 5) { nodes { code salesSummary { orderCount } } } }`);
    const { spans, byId } = await traceOf('query StoreSales');
    const fetches = spans.filter((span) => span.name === 'gateway.fetch');
    expect(fetches.map((span) => attribute(span, 'service')).sort()).toEqual(['inventory', 'sales']);
    for (const fetch of fetches) {
      const answered = spans.filter((span) => span.kind === SpanKind.SERVER && span.parentSpanContext?.spanId === fetch.spanContext().spanId);
      expect(answered.map((span) => attribute(span, 'joinery.service'))).toEqual([attribute(fetch, 'service')]);
      expect(byId.has(fetch.parentSpanContext!.spanId)).toBe(true);
    }
  });

  it('marks the operation span failed, with the error codes, when the response has errors', async () => {
    exporter.reset();
    const answer = await gql(url, `query Broken { noSuchField }`);
    expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    await vi.waitFor(async () => {
      await tracing.forceFlush();
      const operation = exporter.getFinishedSpans().find(isOperation('router'));
      expect(operation?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'GRAPHQL_VALIDATION_FAILED' });
      expect(attribute(operation!, 'graphql.error.codes')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }, { timeout: 10_000, interval: 50 });
  });
});
