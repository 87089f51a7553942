import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, getOperationAST, parse, validate, type DocumentNode, type ExecutionArgs, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { logger, type Identity } from '@joinery/core';
import type { QueryLimits } from '../hardening/limits';
import type { PersistedOperations } from '../hardening/persisted-operations';
import type { RequestRateLimits } from '../hardening/rate-limit';
import { webSocketAdmission } from './admission';
import { authenticateConnection, AUTH_CLOSE_CODE, closeReason, RATE_LIMIT_CLOSE_CODE, whenExpired, type TokenVerifier } from './connection-auth';
import { prepareSubscription, type PreparedSubscription } from './prepare-subscription';
import { authorizeSubscription, subscriberScope, type SubscriberScope } from './subscriber-scope';
import type { SubscriptionHub } from './subscription-hub';

export interface WebSocketLimits {
  /** Most subscriptions one connection may hold. Default 100. */
  maxSubscriptionsPerConnection?: number;
  /** Largest message a client may send, in bytes; larger closes the connection (1009). Default 64 KiB. */
  maxMessageBytes?: number;
  /** A connection that sends no connection_init within this many ms is closed (4408). Default 10000. */
  connectionInitTimeoutMs?: number;
  /** Ping interval; a client that does not answer a ping within it is dropped. Default 12000. */
  keepAliveMs?: number;
  /** Bytes written but not yet sent to one client beyond which it is dropped as too slow. Default 4 MiB. */
  maxBufferedBytes?: number;
  /**
   * Connections one token subject may hold open at once on this router; one more is closed with
   * 4429 at connection_init. Counted per router process (a user's tabs usually reach one). Default 50.
   */
  maxConnectionsPerSubject?: number;
}

/**
 * Decides whether an operation a client sent over the socket may run, before anything else:
 * the text to run (a persisted operation's body, say) and its parsed, valid document, or the
 * errors refusing it. The default parses and validates against the schema.
 */
export type OperationAdmission = (schema: GraphQLSchema, payload: { query: string; variables?: Record<string, unknown> | null; extensions?: Record<string, unknown> | null }) => { query: string; document: DocumentNode } | readonly GraphQLError[];

/** One operation through the router's normal pipeline, as `identity` (the connection's). */
export type OperationRunner = (request: { query: string; variables?: Record<string, unknown>; operationName?: string | null }, identity: Identity) => Promise<FormattedExecutionResult>;

export interface WebSocketOptions extends WebSocketLimits {
  http: Server;
  /** Default /graphql. */
  path?: string;
  /** The supergraph's API schema, as the router serves it now. */
  schema: () => GraphQLSchema;
  hub: SubscriptionHub;
  run: OperationRunner;
  /** Verifies the token each connection sends (see connection-auth.ts); the router's JwtVerifier. */
  verifier: TokenVerifier;
  /** The router's rules for what clients may run (see admission.ts); without them, any valid operation. */
  rules?: { limits: QueryLimits; persisted?: PersistedOperations };
  /**
   * The router's request rate limits, the same counters as HTTP: the upgrade counts against the
   * client IP's limit (refused with HTTP 429 before the handshake), a bad connection_init token
   * against the IP's failed authentications (closed 4429 instead of 4403 once over), and each
   * `subscribe` message against the subject's limit (that operation refused with RATE_LIMITED;
   * the socket stays). Without them, none of these apply.
   */
  rateLimits?: RequestRateLimits;
}

/** Closes a client that cannot keep up; graphql-ws clients treat it as retryable and reconnect. */
export const TOO_SLOW_CLOSE_CODE = 1013;

/** Closes every connection when the router shuts down (see `dispose`). */
export const GOING_AWAY_CLOSE_CODE = 1001;

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  /** The subject counted against maxConnectionsPerSubject, once connection_init was accepted. */
  counted?: string;
  /** Set once connection_init carried a valid token; graphql-ws runs no operation before that. */
  scope?: SubscriberScope;
  /** Cancels the close at the token's expiry. */
  cancelExpiry?: () => void;
}

type OperationContext =
  | { kind: 'subscription'; prepared: PreparedSubscription; scope: SubscriberScope; socket: WebSocket }
  | { kind: 'single'; query: string; variables?: Record<string, unknown>; operationName?: string | null; identity: Identity };

function requestError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/**
 * graphql-ws (the protocol Apollo Client, urql and the graphql-ws client speak) on the router's
 * HTTP server. A connection authenticates once, in connection_init, and is closed with 4403
 * without a valid token or when its token expires. Subscriptions go to the hub, scoped to the
 * connection's identity; queries and mutations sent over the socket run like HTTP ones, as it.
 * Limits: the upgrade is refused with HTTP 429 when the client IP is over its rate limit; 4429
 * closes a connection whose IP sent too many bad tokens or whose user has too many open.
 */
export function serveWebSockets(options: WebSocketOptions): { dispose(): Promise<void>; readonly connections: number } {
  const maxSubscriptions = options.maxSubscriptionsPerConnection ?? 100;
  const keepAlive = options.keepAliveMs ?? 12_000;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const maxPerSubject = options.maxConnectionsPerSubject ?? 50;
  const rateLimits = options.rateLimits;
  /** Open, authenticated connections per subject. */
  const openBySubject = new Map<string, number>();
  const release = (subject: string) => {
    const left = (openBySubject.get(subject) ?? 1) - 1;
    if (left > 0) openBySubject.set(subject, left);
    else openBySubject.delete(subject);
  };
  const documents = new Map<string, DocumentNode>();

  const parseCached = (query: string): DocumentNode => {
    const cached = documents.get(query);
    if (cached) return cached;
    const document = parse(query);
    if (documents.size >= 1_000) documents.delete(documents.keys().next().value!);
    documents.set(query, document);
    return document;
  };

  const parseAndValidate: OperationAdmission = (schema, payload) => {
    let document: DocumentNode;
    try {
      document = parseCached(payload.query);
    } catch (error) {
      return [requestError((error as GraphQLError).message, 'GRAPHQL_PARSE_FAILED')];
    }
    const errors = validate(schema, document);
    if (errors.length) return errors.map((error) => requestError(error.message, 'GRAPHQL_VALIDATION_FAILED'));
    return { query: payload.query, document };
  };
  const admit = options.rules ? webSocketAdmission(options.rules) : parseAndValidate;

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    connectionInitWaitTimeout: options.connectionInitTimeoutMs ?? 10_000,
    async onConnect(ctx) {
      const { socket, request } = ctx.extra;
      const auth = await authenticateConnection(options.verifier, ctx.connectionParams, request.headers);
      if (!auth.ok) {
        // A bad token counts against the address as over HTTP; once it is over, 4429 says so.
        const refusal = rateLimits && auth.code !== 'UNAVAILABLE' ? await rateLimits.authFailed(rateLimits.clientIp(request)) : undefined;
        // Closed here to name what was wrong; graphql-ws's own close (4403 "Forbidden") that
        // follows `false` finds the socket closing and does nothing.
        if (refusal) socket.close(RATE_LIMIT_CLOSE_CODE, closeReason(refusal.message));
        else socket.close(AUTH_CLOSE_CODE, auth.reason);
        return false;
      }
      if (socket.readyState !== socket.OPEN) return false;
      // Checked and counted with no await in between, so concurrent connects cannot both slip under.
      const subject = auth.identity.subject;
      const open = openBySubject.get(subject) ?? 0;
      if (open >= maxPerSubject) {
        socket.close(RATE_LIMIT_CLOSE_CODE, closeReason(`Too many open connections for this user (at most ${maxPerSubject}); close one first`));
        return false;
      }
      openBySubject.set(subject, open + 1);
      ctx.extra.counted = subject;
      ctx.extra.scope = subscriberScope(auth.identity);
      if (auth.expiresAtMs !== undefined) {
        ctx.extra.cancelExpiry = whenExpired(auth.expiresAtMs, () => socket.close(AUTH_CLOSE_CODE, 'token expired: reconnect with a fresh token'));
      }
      return true;
    },
    async onSubscribe(ctx: Context<Record<string, unknown> | undefined, Extra>, _id, payload) {
      // Read before any await: graphql-ws registers each subscribe as it arrives, so this is the
      // operation's own position even when several arrive at once.
      const held = Object.keys(ctx.subscriptions).length;
      // Every operation sent counts, as an HTTP request does; a refused one leaves the socket open.
      const refusal = rateLimits ? await rateLimits.checkSubject(ctx.extra.scope!.identity.subject) : undefined;
      if (refusal) return [new GraphQLError(refusal.message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: refusal.retryAfterSeconds } })];
      if (held > maxSubscriptions) {
        return [requestError(`A connection may hold at most ${maxSubscriptions} subscriptions; complete one first`, 'BAD_REQUEST')];
      }
      const schema = options.schema();
      const admitted = admit(schema, payload);
      if (!('document' in admitted)) return [...admitted];
      const { query, document } = admitted;
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [requestError('Unable to identify the operation: name it with operationName', 'GRAPHQL_VALIDATION_FAILED')];
      const scope = ctx.extra.scope!;
      let contextValue: OperationContext;
      if (operation.operation === 'subscription') {
        const prepared = prepareSubscription(schema, document, payload.operationName, payload.variables);
        if (Array.isArray(prepared)) return prepared;
        const refused = authorizeSubscription(scope, prepared);
        if (refused.length) return refused;
        contextValue = { kind: 'subscription', prepared, scope, socket: ctx.extra.socket };
      } else {
        contextValue = { kind: 'single', query, variables: payload.variables ?? undefined, operationName: payload.operationName, identity: scope.identity };
      }
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue } satisfies ExecutionArgs;
    },
    execute: (args) => {
      const context = args.contextValue as OperationContext & { kind: 'single' };
      return options.run({ query: context.query, variables: context.variables, operationName: context.operationName }, context.identity) as never;
    },
    subscribe: (args) => {
      const context = args.contextValue as OperationContext & { kind: 'subscription' };
      return options.hub.open(context.prepared, context.scope, () => {
        context.socket.close(TOO_SLOW_CLOSE_CODE, 'Subscriber too slow: events were waiting faster than they were read');
      }) as never;
    },
    // Results are already formatted by the router's pipeline: send them as they are.
    onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
  });

  // The client IP's rate limit, before the handshake: a refused upgrade costs no socket and no
  // graphql-ws state, and the client sees a plain HTTP 429 with Retry-After.
  const verifyClient = rateLimits
    ? (info: { req: IncomingMessage }, done: (verified: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
        rateLimits.checkIp(rateLimits.clientIp(info.req)).then(
          (refusal) => (refusal ? done(false, 429, refusal.message, { 'Retry-After': String(refusal.retryAfterSeconds) }) : done(true)),
          (error: unknown) => {
            logger('router').error({ error: String(error) }, 'WebSocket upgrade rate limit check failed');
            done(false, 503, 'Service Unavailable');
          },
        );
      }
    : undefined;
  const wss = new WebSocketServer({ server: options.http, path: options.path ?? '/graphql', maxPayload: options.maxMessageBytes ?? 64 * 1024, handleProtocols, verifyClient });
  wss.on('error', (error) => logger('router').error({ error: String(error) }, 'WebSocket server error'));
  wss.on('connection', (socket, request) => {
    socket.on('error', (error) => {
      logger('router').warn({ error: String(error) }, 'WebSocket connection error');
      socket.terminate();
    });
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAlive);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, keepAlive);
    const extra: Extra = { socket, request };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            if (socket.bufferedAmount > maxBuffered) {
              socket.close(TOO_SLOW_CLOSE_CODE, 'Subscriber too slow: too much data waiting to be sent');
              return resolve();
            }
            socket.send(data, () => resolve());
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              logger('router').error({ error: String((error as Error)?.stack ?? error) }, 'WebSocket message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      clearInterval(ping);
      clearTimeout(pongWait);
      extra.cancelExpiry?.();
      if (extra.counted) release(extra.counted);
      closed(code, String(reason));
    });
  });

  return {
    get connections() {
      return wss.clients.size;
    },
    async dispose() {
      // 1001 "going away": graphql-ws clients treat it as retryable and reconnect (to another router).
      for (const client of wss.clients) client.close(GOING_AWAY_CLOSE_CODE, 'Server shutting down: reconnect');
      const stragglers = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, 1_000);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      clearTimeout(stragglers);
    },
  };
}
