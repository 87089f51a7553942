import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { inClientSpan, injectTraceContext, inOperationSpan, operationTracingPlugins, startTracing, tracingActive, type Tracing } from './tracing';

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe('startTracing without an endpoint', () => {
  it('registers nothing: no provider, no propagator, no plugins, no headers', async () => {
    tracing = await startTracing({ service: 'router' });
    expect(tracing).toBeUndefined();
    expect(tracingActive()).toBe(false);
    // The API's global provider still hands out non-recording spans: no SDK is behind it.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    expect(propagation.fields()).toEqual([]);
    expect(operationTracingPlugins()).toEqual([]);
    const headers: Record<string, string> = {};
    await inClientSpan('subgraph.request', {}, async () => injectTraceContext(headers));
    expect(headers).toEqual({});
  });
});

describe('spans', () => {
  it('continue the trace an incoming traceparent names, and pass it on from a client span', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ service: 'sales', exporter });
    expect(tracingActive()).toBe(true);
    const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const sent: Record<string, string> = {};
    await inOperationSpan({ service: 'sales', requestId: 'req-1', parentHeaders: { traceparent: `00-${callerTraceId}-${callerSpanId}-01` } }, async () => {
      await inClientSpan('subgraph.request', { 'joinery.subgraph': 'inventory' }, async () => injectTraceContext(sent));
    });
    await tracing!.forceFlush();
    const spans = exporter.getFinishedSpans();
    const operation = spans.find((span) => span.kind === SpanKind.SERVER)!;
    const client = spans.find((span) => span.kind === SpanKind.CLIENT)!;
    expect(operation.spanContext().traceId).toBe(callerTraceId);
    expect(operation.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(operation.attributes).toMatchObject({ 'joinery.service': 'sales', 'joinery.request_id': 'req-1' });
    expect(client.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    expect(sent.traceparent).toBe(`00-${callerTraceId}-${client.spanContext().spanId}-01`);
  });

  it('start a trace of their own without parent headers, and fail with the error they end on', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ service: 'router', exporter });
    await expect(inOperationSpan({ service: 'router' }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await tracing!.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
  });
});

/** A stand-in OTLP/HTTP collector on a free port: keeps every POST's path, headers and body. */
async function collector(): Promise<{ url: string; received: { path: string; type: string; body: string }[]; server: Server }> {
  const received: { path: string; type: string; body: string }[] = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    received.push({ path: request.url ?? '', type: String(request.headers['content-type']), body: (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8') });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

describe('startTracing with an endpoint', () => {
  it('exports spans as OTLP/HTTP JSON to <endpoint>/v1/traces, named joinery-<service> unless OTEL_SERVICE_NAME says otherwise', async () => {
    const otlp = await collector();
    try {
      tracing = await startTracing({ service: 'inventory', endpoint: `${otlp.url}/` });
      await inOperationSpan({ service: 'inventory', requestId: 'req-9' }, async () => {});
      await tracing!.shutdown();
      tracing = undefined;
      expect(otlp.received).toHaveLength(1);
      const [post] = otlp.received;
      expect(post!.path).toBe('/v1/traces');
      expect(post!.type).toContain('application/json');
      const body = JSON.parse(post!.body);
      const [resourceSpans] = body.resourceSpans;
      expect(resourceSpans.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'joinery-inventory' } });
      const spans = resourceSpans.scopeSpans.flatMap((scope: { spans: unknown[] }) => scope.spans);
      expect(spans).toEqual([expect.objectContaining({ name: 'GraphQL Operation', attributes: expect.arrayContaining([{ key: 'joinery.request_id', value: { stringValue: 'req-9' } }]) })]);

      tracing = await startTracing({ service: 'inventory', endpoint: otlp.url, serviceName: 'stock-service' });
      await inOperationSpan({ service: 'inventory' }, async () => {});
      await tracing!.forceFlush();
      expect(JSON.parse(otlp.received[1]!.body).resourceSpans[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'stock-service' } });
    } finally {
      otlp.server.close();
    }
  });
});
