import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

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
  /** Closes the HTTP server and its connections, then stops Apollo. */
  stop(): Promise<void>;
}

/** Serves a started ApolloServer at /graphql, with GET /health answering for `name`. */
export function serveGraphQL<TContext extends BaseContext>(name: string, options: GraphQLHttpOptions<TContext>): GraphQLService {
  const http = createGraphQLHttpServer({ ...options, routes: { ...options.routes, '/health': healthRoute(name) } });
  return {
    http,
    listen: (port, host = '127.0.0.1') => listen(http, port, host, options.path),
    async stop() {
      await closeServer(http);
      await options.server.stop();
    },
  };
}

class BodyTooLarge extends Error {}

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

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/** A Node HTTP request listener serving an ApolloServer, with a body size limit. */
export function graphqlRequestListener<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>) {
  const path = options.path ?? '/graphql';
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      const route = options.routes?.[url.pathname];
      if (route && request.method === 'GET') return await route(request, response);
      const postRoute = request.method === 'POST' && url.pathname !== path ? matchRoute(options.postRoutes, url.pathname) : undefined;
      if (postRoute) return await postRoute(request, response);
      if (url.pathname !== path) return sendJson(response, 404, { errors: [{ message: `Not found: GraphQL is served at ${path}`, extensions: { code: 'NOT_FOUND' } }] });

      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      let body: unknown;
      if (request.method === 'POST') {
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
      for (const [key, value] of result.headers) response.setHeader(key, value);
      response.statusCode = result.status ?? 200;
      if (result.body.kind === 'complete') {
        response.end(result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) response.write(chunk);
        response.end();
      }
    } catch (error) {
      if (error instanceof BodyTooLarge) return sendJson(response, 413, { errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST' } }] });
      console.error(JSON.stringify({ level: 'error', msg: 'unhandled HTTP error', error: String((error as Error)?.stack ?? error) }));
      if (!response.headersSent) sendJson(response, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else response.end();
    }
  };
}

function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>): Server {
  const server = createServer(graphqlRequestListener(options));
  server.keepAliveTimeout = 65_000;
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

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
}

/** GET /health: answers 200 with the service's name while the process serves requests. */
function healthRoute(service: string) {
  return (_request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: 'ok', service }));
  };
}
