import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { logger } from '../observability/logger';
import { inHttpOperationSpan, tracingActive } from '../observability/tracing';
import { countHttpError } from '../observability/graphql-metrics';
import { metricsRoute, type MetricsText } from '../observability/metrics';
import { Health, type ReadinessCheck } from './health';

/** Largest request body accepted, in bytes. Default 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  context: (request: IncomingMessage) => Promise<TContext>;
  /** Path GraphQL is served on. Default /graphql. */
  path?: string;
  maxBodyBytes?: number;
  /** Extra GET routes. */
  routes?: Record<string, HttpRouteHandler>;
  /**
   * POST routes beside GraphQL (webhooks): the handler reads the body itself. A path ending in
   * `/*` matches every path under it.
   */
  postRoutes?: Record<string, HttpRouteHandler>;
  /**
   * Runs before every request to the GraphQL path: answers `undefined` to let it through, or a
   * refusal sent as is (401 without a valid identity, 429 over a rate limit…), before the body is
   * read or anything is parsed.
   */
  guard?: (request: IncomingMessage) => Promise<HttpRefusal | undefined>;
  /**
   * Gives every request an id (from the request, e.g. a sane `x-request-id`, or new): sent back as
   * the `x-request-id` header, put in `extensions.requestId` of the errors this layer answers, and
   * readable while the request runs with `currentRequestScope()`. Off when omitted.
   */
  requestId?: (request: IncomingMessage) => string;
  /**
   * Longest a request may take, body and execution included: past it the scope's signal aborts
   * (subgraph calls listening to it stop) and the client gets 504 with code TIMEOUT. Off when omitted.
   */
  timeoutMs?: number;
  /** Node's headersTimeout: longest a client may take to send the headers. Default 10000 ms. */
  headersTimeoutMs?: number;
  /** Node's requestTimeout: longest a client may take to send the whole request. Default 30000 ms. */
  socketRequestTimeoutMs?: number;
  /**
   * While tracing is on, each GraphQL request runs in a span naming `service` (serveGraphQL: its
   * name). `continueTrace` (default true) continues the trace of an incoming `traceparent`; the
   * router, facing clients, starts its own.
   */
  tracing?: { service?: string; continueTrace?: boolean };
  /** What GET /readyz checks (serveGraphQL): the database, Redis, subgraphs… Default: nothing (ready while serving). */
  readiness?: ReadinessCheck[];
  /** Where GET /metrics' text comes from (serveGraphQL). Default: this process's prom-client registry. */
  metrics?: MetricsText;
}

/** What code running for one HTTP request can know about it (see `currentRequestScope`). */
export interface RequestScope {
  /** The request's id (see `requestId`), or undefined when the server gives none. */
  readonly id?: string;
  /** Aborts when the request has run out of time (see `timeoutMs`). */
  readonly signal: AbortSignal;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** The scope of the HTTP request the caller runs for, if any: follows every await from the request's handler. */
export function currentRequestScope(): RequestScope | undefined {
  return scopes.getStore();
}

/** Runs `fn` in a request scope of its own (operations that do not arrive over HTTP, such as WebSocket ones). */
export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** An answer a guard sends instead of running the request. */
export interface HttpRefusal {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type HttpRouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

function matchRoute(routes: Record<string, HttpRouteHandler> | undefined, pathname: string): HttpRouteHandler | undefined {
  if (!routes) return undefined;
  if (routes[pathname]) return routes[pathname];
  const prefix = Object.keys(routes).find((key) => key.endsWith('/*') && pathname.startsWith(key.slice(0, -1)) && pathname.length > key.length - 1);
  return prefix ? routes[prefix] : undefined;
}

/** The address could not be listened on (port taken, unknown host): a setting to change, not a bug. */
export class ListenError extends Error {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    super(`cannot listen on ${host}:${port} (${cause.code ?? cause.message}${cause.code === 'EADDRINUSE' ? ': the port is taken' : ''})`, { cause });
    this.name = 'ListenError';
  }
}

/** A started ApolloServer served over HTTP, not yet listening. */
export interface GraphQLService {
  readonly http: Server;
  /** Starts listening; resolves with the GraphQL URL. Port 0 picks a free port. */
  listen(port: number, host?: string): Promise<string>;
  /** Closes the HTTP server and its connections at once, then stops Apollo. */
  stop(): Promise<void>;
  /**
   * Stops taking work, for a graceful shutdown (call `stop` after it): /readyz answers 503 from
   * now on, the port stops accepting connections, requests in flight finish and idle keep-alive
   * connections close; whatever still runs after `timeoutMs` is cut off.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Its /healthz and /readyz (add readiness checks here). */
  readonly health: Health;
}

/** Set while a server drains: its responses ask clients to close the connection. */
interface DrainState {
  draining: boolean;
}

/**
 * Serves a started ApolloServer at /graphql, with GET /healthz (/health), /readyz and /metrics
 * answering for `name` without a token.
 */
export function serveGraphQL<TContext extends BaseContext>(name: string, options: GraphQLHttpOptions<TContext>): GraphQLService {
  const health = new Health(name, { checks: options.readiness });
  const state: DrainState = { draining: false };
  const routes = { ...options.routes, ...health.routes(), '/metrics': metricsRoute(options.metrics) };
  const http = createGraphQLHttpServer({ ...options, tracing: { service: name, ...options.tracing }, routes }, state);
  return {
    http,
    health,
    listen: (port, host = '127.0.0.1') => listen(http, port, host, options.path),
    async drain(timeoutMs) {
      health.startDraining();
      state.draining = true;
      await drainServer(http, timeoutMs);
    },
    async stop() {
      health.dispose();
      await closeServer(http);
      await options.server.stop();
    },
  };
}

class BodyTooLarge extends Error {}

/** Puts the request id in each error of an `{ errors: [...] }` body, so clients can quote it. */
function withRequestId(body: unknown, requestId: string | undefined): unknown {
  if (!requestId || typeof body !== 'object' || body === null || !Array.isArray((body as { errors?: unknown }).errors)) return body;
  const errors = (body as { errors: { extensions?: Record<string, unknown> }[] }).errors;
  return { ...body, errors: errors.map((error) => ({ ...error, extensions: { ...error.extensions, requestId } })) };
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge(`Request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(withRequestId(body, currentRequestScope()?.id)));
}

/** The request ran past `timeoutMs`. */
export class RequestTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The request took longer than ${timeoutMs} ms and was stopped; ask for less or retry later`);
    this.name = 'RequestTimeoutError';
  }
}

/**
 * A Node HTTP request listener serving an ApolloServer, with a body size limit, and optionally
 * request ids and a whole-request timeout.
 */
export function graphqlRequestListener<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>, drain?: DrainState) {
  const handle = withOperationSpans(handler(options, drain), options);
  const service = options.tracing?.service ?? 'graphql';
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (drain?.draining) response.shouldKeepAlive = false;
    const controller = new AbortController();
    const scope: RequestScope = { id: options.requestId?.(request), signal: controller.signal };
    if (scope.id) response.setHeader('x-request-id', scope.id);
    await scopes.run(scope, async () => {
      if (!options.timeoutMs) return handle(request, response, scope.signal);
      const timeoutMs = options.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolveTimeout) => {
        timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
      });
      const handled = handle(request, response, scope.signal);
      const outcome = await Promise.race([handled, timedOut]).finally(() => clearTimeout(timer));
      // An answer completed in the same instant the timer fired stands.
      if (outcome !== 'timeout' || response.writableEnded) return;
      // Subgraph calls listening to the signal stop; whatever still runs may no longer answer.
      controller.abort(new RequestTimeoutError(timeoutMs));
      logger(options.tracing?.service).warn({ requestId: scope.id, timeoutMs, path: request.url }, 'request timed out');
      if (response.headersSent) return void response.destroy();
      response.shouldKeepAlive = false;
      sendJson(response, 504, { errors: [{ message: new RequestTimeoutError(timeoutMs).message, extensions: { code: 'TIMEOUT' } }] });
    });
    if (response.statusCode >= 400) countHttpError(service, response.statusCode);
  };
}

/** While tracing is on, a request to the GraphQL path runs in its operation's span (see inHttpOperationSpan). */
function withOperationSpans<TContext extends BaseContext>(handle: ReturnType<typeof handler>, options: GraphQLHttpOptions<TContext>): ReturnType<typeof handler> {
  const path = options.path ?? '/graphql';
  const service = options.tracing?.service ?? 'graphql';
  const continueTrace = options.tracing?.continueTrace ?? true;
  return (request, response, signal) => {
    if (!tracingActive() || (request.url ?? '/').split('?')[0] !== path) return handle(request, response, signal);
    return inHttpOperationSpan(request, response, { service, requestId: currentRequestScope()?.id, continueTrace }, () => handle(request, response, signal));
  };
}

function handler<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>, drain?: DrainState) {
  const path = options.path ?? '/graphql';
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (request: IncomingMessage, response: ServerResponse, signal: AbortSignal): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      const route = options.routes?.[url.pathname];
      if (route && request.method === 'GET') return await route(request, response);
      const postRoute = request.method === 'POST' && url.pathname !== path ? matchRoute(options.postRoutes, url.pathname) : undefined;
      if (postRoute) return await postRoute(request, response);
      if (url.pathname !== path) return sendJson(response, 404, { errors: [{ message: `Not found: GraphQL is served at ${path}`, extensions: { code: 'NOT_FOUND' } }] });
      if (options.guard) {
        const refusal = await options.guard(request);
        if (refusal) {
          // The body is not read: drop the connection after answering rather than drain it.
          response.shouldKeepAlive = false;
          return sendJson(response, refusal.status, refusal.body, refusal.headers);
        }
      }

      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      let body: unknown;
      if (request.method === 'POST') {
        // A declared length over the limit is refused before a byte of the body is read.
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(`Request body exceeds ${limit} bytes (Content-Length ${declared})`);
        const raw = await readBody(request, limit);
        const type = headers.get('content-type') ?? '';
        if (type.includes('application/json') || type.includes('application/graphql-response+json')) {
          try {
            body = raw.length ? JSON.parse(raw) : undefined;
          } catch {
            return sendJson(response, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
          }
        } else {
          body = raw;
        }
      }
      const result = await options.server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (request.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: () => options.context(request),
      });
      // Past the timeout the client already has its 504.
      if (signal.aborted) return;
      // Began before the server started draining: the client is told not to reuse the connection.
      if (drain?.draining) response.shouldKeepAlive = false;
      for (const [key, value] of result.headers) response.setHeader(key, value);
      response.statusCode = result.status ?? 200;
      if (result.body.kind === 'complete') {
        response.end(result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) {
          if (signal.aborted) break;
          response.write(chunk);
        }
        response.end();
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof BodyTooLarge) {
        // The rest of the body is not read: close the connection after answering.
        response.shouldKeepAlive = false;
        return sendJson(response, 413, { errors: [{ message: error.message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
      }
      logger(options.tracing?.service).error({ error: String((error as Error)?.stack ?? error) }, 'unhandled HTTP error');
      if (!response.headersSent) sendJson(response, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else response.end();
    }
  };
}

function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>, drain: DrainState): Server {
  const server = createServer(graphqlRequestListener(options, drain));
  server.keepAliveTimeout = 65_000;
  // Slow clients (slowloris) cannot hold a connection by trickling headers or a body.
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = Math.max(options.socketRequestTimeoutMs ?? 30_000, server.headersTimeout);
  return server;
}

/** Listens and resolves with the URL of the GraphQL endpoint (port 0 picks a free port). */
async function listen(server: Server, port: number, host: string, path = '/graphql'): Promise<string> {
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(host, port, error)));
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shownHost === '0.0.0.0' ? 'localhost' : shownHost}:${address.port}${path}`;
}

/**
 * Closes `server` gracefully: no new connections, requests in flight finish, then their
 * connections close (Node 20 would keep an idle keep-alive connection until its timeout), and
 * after `timeoutMs` every connection left is cut.
 */
async function drainServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
}
