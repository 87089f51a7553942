import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { signUserToken } from './auth/user-token';
import { TEST_ADMIN, type TestCaller } from './testing';

/**
 * A graphql-ws client as a dashboard would use it (no retries, so a test sees every close). It
 * authenticates in connection_init as `caller` (default an admin) unless `connectionParams` is given.
 */
export function wsClient(httpUrl: string, options: { connectionParams?: Record<string, unknown>; caller?: TestCaller; retryAttempts?: number; /** Fixed wait between retries, in ms (default: graphql-ws's back-off). */ retryWaitMs?: number } = {}): Client {
  const caller = options.caller ?? TEST_ADMIN;
  const retryWaitMs = options.retryWaitMs;
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: options.retryAttempts ?? 0,
    ...(retryWaitMs === undefined ? {} : { retryWait: () => new Promise<void>((resolve) => setTimeout(resolve, retryWaitMs)) }),
    connectionParams:
      options.connectionParams ??
      (async () => ({ authorization: `Bearer ${await signUserToken({ subject: caller.subject ?? `test-${caller.role}`, role: caller.role, locations: caller.locations ?? ['*'] })}` })),
    lazy: false,
    // Closes reach each subscription's sink (see `collect`) and the `closed` event; refusals that
    // tests provoke on purpose need not be printed too.
    onNonLazyError: () => {},
  });
}

export interface Received {
  /** Every message so far: `{ data }` / `{ errors }` results, in arrival order. */
  readonly results: any[];
  /** Set when the server ended the subscription with an error or the socket closed. */
  readonly error: unknown;
  /** Resolves once `count` results have arrived (rejects after `timeoutMs`). */
  next(count: number, timeoutMs?: number): Promise<any[]>;
  dispose(): void;
}

/** Subscribes and collects what arrives. */
export function collect(client: Client, query: string, variables?: Record<string, unknown>): Received {
  const results: any[] = [];
  let error: unknown;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((waiter) => waiter());
  const dispose = client.subscribe({ query, variables }, {
    next: (result) => {
      results.push(result);
      wake();
    },
    error: (reason) => {
      error = reason;
      wake();
    },
    complete: wake,
  });
  return {
    results,
    get error() {
      return error;
    },
    next(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} results within ${timeoutMs} ms, got ${results.length}: ${JSON.stringify(results)}${error ? ` (error: ${JSON.stringify(error)})` : ''}`)), timeoutMs);
        const check = () => {
          if (results.length >= count) {
            clearTimeout(timer);
            resolve(results.slice(0, count));
          } else if (error) {
            clearTimeout(timer);
            reject(new Error(`subscription ended after ${results.length} results: ${error instanceof Error ? error.message : JSON.stringify(error)}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    dispose,
  };
}

/** Polls `condition` until it holds (rejects after `timeoutMs`). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
