import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions {
  /** router, inventory, sales, marketing or stack: the default service name is `joinery-<service>`. */
  service: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces` as JSON. Unset: no tracing. */
  endpoint?: string;
  /** OTEL_SERVICE_NAME: the spans' `service.name`. Default `joinery-<service>`. */
  serviceName?: string;
  /** Tests: where spans go instead of OTLP; turns tracing on without an endpoint. */
  exporter?: SpanExporter;
}

/** Tracing as started by startTracing. */
export interface Tracing {
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Exports what is left and unregisters everything startTracing registered (tracing is off afterwards). */
  shutdown(): Promise<void>;
}

/**
 * Joinery's spans' tracer (instrumentation scope `joinery`; the gateway's is `apollo/gateway-js`),
 * taken from the provider startTracing registers. Not a module-level trace.getTracer(): that
 * proxy keeps the first provider it reaches, even once shut down (the gateway's does: a process
 * traces with one provider for its whole life; only tests start another).
 */
let tracer: Tracer | undefined;
let active = false;

/** True between startTracing and shutdown: every per-request hook checks this first, so tracing off costs one test. */
export function tracingActive(): boolean {
  return active;
}

/**
 * Starts OpenTelemetry tracing for this process when an endpoint (or, in tests, an exporter) is
 * given: a NodeTracerProvider batching spans to OTLP/HTTP, registered globally with the
 * AsyncLocalStorage context manager and the W3C propagators (trace-context, baggage), so the gateway's own
 * spans (gateway.request, .plan, .execute, .fetch) appear too. Without one it registers nothing
 * and answers undefined. The SDK is loaded only then.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing | undefined> {
  if (!options.endpoint && !options.exporter) return undefined;
  if (active) throw new Error('startTracing: tracing is already started in this process');
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { resourceFromAttributes }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? `joinery-${options.service}` }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // The default propagators: W3C trace-context (traceparent) and W3C baggage.
  provider.register();
  tracer = provider.getTracer('joinery');
  active = true;
  return {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      active = false;
      tracer = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Attributes Joinery puts on its spans beside OpenTelemetry's GraphQL and HTTP ones. */
export const SPAN_ATTRIBUTES = { service: 'joinery.service', requestId: 'joinery.request_id', subgraph: 'joinery.subgraph' } as const;

function markFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
}

/**
 * Runs one GraphQL operation in a server span of its own, active while it runs: the gateway's
 * spans, subgraph calls and operationSpanPlugin attach to it. With `parentHeaders` it continues
 * the trace their `traceparent` names (a subgraph called by the router or another subgraph);
 * without, it starts one. Named `GraphQL Operation` until the plugin knows the operation.
 */
export async function inOperationSpan<T>(options: { service: string; requestId?: string; parentHeaders?: IncomingHttpHeaders; attributes?: Attributes }, run: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parentHeaders ? propagation.extract(ROOT_CONTEXT, options.parentHeaders) : ROOT_CONTEXT;
  const attributes: Attributes = { [SPAN_ATTRIBUTES.service]: options.service, ...options.attributes };
  if (options.requestId) attributes[SPAN_ATTRIBUTES.requestId] = options.requestId;
  const span = (tracer ?? trace.getTracer('joinery')).startSpan('GraphQL Operation', { kind: SpanKind.SERVER, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => run(span));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * The HTTP side of inOperationSpan (graphql-http calls it for the GraphQL path when tracing is
 * on): method and status on the span, and a 5xx answer marks it failed.
 */
export function inHttpOperationSpan(
  request: IncomingMessage,
  response: ServerResponse,
  options: { service: string; requestId?: string; continueTrace: boolean },
  run: () => Promise<void>,
): Promise<void> {
  return inOperationSpan(
    { service: options.service, requestId: options.requestId, parentHeaders: options.continueTrace ? request.headers : undefined, attributes: { 'http.request.method': request.method ?? 'GET' } },
    async (span) => {
      try {
        await run();
      } finally {
        span.setAttribute('http.response.status_code', response.statusCode);
        if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.statusCode}` });
      }
    },
  );
}

/**
 * Names the operation span after the operation (`query LocationPage`) with its type and name as
 * attributes, and marks it failed, with the error codes, when the response has errors. Installed
 * only while tracing is on (see operationTracingPlugins).
 */
function operationSpanPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const span = trace.getActiveSpan();
      if (!span?.isRecording()) return undefined;
      return {
        async didResolveOperation({ operation, operationName }) {
          const type = operation?.operation ?? 'GraphQL';
          span.setAttribute('graphql.operation.type', type);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
          span.updateName(operationName ? `${type} ${operationName}` : type);
        },
        async didEncounterErrors({ errors }) {
          const codes = [...new Set(errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
          span.setAttribute('graphql.error.codes', codes);
          span.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(', ') });
        },
      };
    },
  };
}

/** The Apollo plugins that describe operations on their spans: none while tracing is off (decided when the server is built). */
export function operationTracingPlugins(): ApolloServerPlugin<BaseContext>[] {
  return active ? [operationSpanPlugin()] : [];
}

type HeaderCarrier = { set(name: string, value: string): unknown } | Record<string, string>;

/** Adds the active span's `traceparent` to the headers of a call to another service; nothing while tracing is off. */
export function injectTraceContext(headers: HeaderCarrier | undefined): void {
  if (!active || !headers) return;
  propagation.inject(context.active(), headers, {
    set: (carrier, name, value) => {
      if (typeof carrier.set === 'function') (carrier as { set(name: string, value: string): unknown }).set(name, value);
      else (carrier as Record<string, string>)[name] = value;
    },
  });
}

/** Runs a call to another service in a client span, active while it runs (see injectTraceContext); just runs it while tracing is off. */
export function inClientSpan<T>(name: string, attributes: Attributes, run: () => Promise<T>): Promise<T> {
  if (!active || !tracer) return run();
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await run();
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
