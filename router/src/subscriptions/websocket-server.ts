import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, getOperationAST, parse, validate, type DocumentNode, type ExecutionArgs, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { prepareSubscription, type PreparedSubscription } from './prepare-subscription';
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
}

/** One operation through the router's normal pipeline. */
export type OperationRunner = (request: { query: string; variables?: Record<string, unknown>; operationName?: string | null }) => Promise<FormattedExecutionResult>;

export interface WebSocketOptions extends WebSocketLimits {
  http: Server;
  /** Default /graphql. */
  path?: string;
  /** The supergraph's API schema, as the router serves it now. */
  schema: () => GraphQLSchema;
  hub: SubscriptionHub;
  run: OperationRunner;
}

/** Closes a client that cannot keep up; graphql-ws clients treat it as retryable and reconnect. */
export const TOO_SLOW_CLOSE_CODE = 1013;

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
}

type OperationContext = { kind: 'subscription'; prepared: PreparedSubscription; socket: WebSocket } | { kind: 'single'; query: string; variables?: Record<string, unknown>; operationName?: string | null };

function requestError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/**
 * graphql-ws (the protocol Apollo Client, urql and the graphql-ws client speak) on the router's
 * HTTP server. Subscriptions go to the hub; queries and mutations sent over the socket run like
 * HTTP ones.
 */
export function serveWebSockets(options: WebSocketOptions): { dispose(): Promise<void>; readonly connections: number } {
  const maxSubscriptions = options.maxSubscriptionsPerConnection ?? 100;
  const keepAlive = options.keepAliveMs ?? 12_000;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const documents = new Map<string, DocumentNode>();

  const parseCached = (query: string): DocumentNode => {
    const cached = documents.get(query);
    if (cached) return cached;
    const document = parse(query);
    if (documents.size >= 1_000) documents.delete(documents.keys().next().value!);
    documents.set(query, document);
    return document;
  };

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    connectionInitWaitTimeout: options.connectionInitTimeoutMs ?? 10_000,
    async onSubscribe(ctx: Context<Record<string, unknown> | undefined, Extra>, _id, payload) {
      if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
        return [requestError(`A connection may hold at most ${maxSubscriptions} subscriptions; complete one first`, 'BAD_REQUEST')];
      }
      let document: DocumentNode;
      try {
        document = parseCached(payload.query);
      } catch (error) {
        return [requestError((error as GraphQLError).message, 'GRAPHQL_PARSE_FAILED')];
      }
      const schema = options.schema();
      const errors = validate(schema, document);
      if (errors.length) return errors.map((error) => requestError(error.message, 'GRAPHQL_VALIDATION_FAILED'));
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [requestError('Unable to identify the operation: name it with operationName', 'GRAPHQL_VALIDATION_FAILED')];
      let contextValue: OperationContext;
      if (operation.operation === 'subscription') {
        const prepared = prepareSubscription(schema, document, payload.operationName, payload.variables);
        if (Array.isArray(prepared)) return prepared;
        contextValue = { kind: 'subscription', prepared, socket: ctx.extra.socket };
      } else {
        contextValue = { kind: 'single', query: payload.query, variables: payload.variables ?? undefined, operationName: payload.operationName };
      }
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue } satisfies ExecutionArgs;
    },
    execute: (args) => {
      const context = args.contextValue as OperationContext & { kind: 'single' };
      return options.run({ query: context.query, variables: context.variables, operationName: context.operationName }) as never;
    },
    subscribe: (args) => {
      const context = args.contextValue as OperationContext & { kind: 'subscription' };
      return options.hub.open(context.prepared, () => {
        context.socket.close(TOO_SLOW_CLOSE_CODE, 'Subscriber too slow: events were waiting faster than they were read');
      }) as never;
    },
    // Results are already formatted by the router's pipeline: send them as they are.
    onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
  });

  const wss = new WebSocketServer({ server: options.http, path: options.path ?? '/graphql', maxPayload: options.maxMessageBytes ?? 64 * 1024, handleProtocols });
  wss.on('error', (error) => console.error(JSON.stringify({ level: 'error', service: 'router', msg: 'WebSocket server error', error: String(error) })));
  wss.on('connection', (socket, request) => {
    socket.on('error', (error) => {
      console.error(JSON.stringify({ level: 'warn', service: 'router', msg: 'WebSocket connection error', error: String(error) }));
      socket.terminate();
    });
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAlive);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, keepAlive);
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
              console.error(JSON.stringify({ level: 'error', service: 'router', msg: 'WebSocket message failed', error: String((error as Error)?.stack ?? error) }));
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(ping);
      clearTimeout(pongWait);
      closed(code, String(reason));
    });
  });

  return {
    get connections() {
      return wss.clients.size;
    },
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      const stragglers = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, 1_000);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      clearTimeout(stragglers);
    },
  };
}
