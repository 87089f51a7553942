import { STATUS_CODES } from 'node:http';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent } from 'undici';
import { currentRequestScope } from '@joinery/core';

/** A router-to-subgraph call that ran out of time: answered to clients as UNAVAILABLE naming the subgraph. */
export class SubgraphTimeoutError extends Error {
  constructor(readonly subgraph: string, readonly timeoutMs: number) {
    super(`The ${subgraph} subgraph did not answer within ${timeoutMs} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

type DataSourceConfig = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>;
/** What RemoteGraphQLDataSource.process hands its (private) sendRequest. */
interface SubgraphRequest {
  query?: string;
  http?: { url: string; headers: Iterable<[string, string]> };
  [field: string]: unknown;
}

/** A subgraph's answer before it is parsed: what identical calls in flight share. */
interface RawAnswer {
  status: number;
  contentType: string;
  cacheControl?: string;
  text: string;
}

/**
 * One keep-alive connection pool for every subgraph origin. The gateway's default fetcher
 * (make-fetch-happen over agent-base) builds an Error stack for every call to learn the protocol
 * and costs about a quarter of the router's CPU on a nested query (docs/benchmarks.md).
 */
const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });

/** Callers waiting on one shared call; when the last one gives up the call is abandoned. */
interface InFlight {
  key: string;
  answer: Promise<RawAnswer>;
  waiting: number;
  controller: AbortController;
}

const READ_OPERATION = /^\s*(query\b|\{)/;

export interface SubgraphDataSourceConfig extends DataSourceConfig {
  subgraph: string;
  timeoutMs: number;
  /**
   * Identical read calls in flight at once (same URL, caller and body) share one HTTP call; each
   * caller parses its own copy of the answer (the gateway merges into what it gets). Default true.
   */
  deduplicate?: boolean;
  /** Who a call acts for, as far as the subgraph's answer can depend on it: part of the sharing key. */
  callerKey?: (context: unknown) => string;
  /**
   * Whether the client operation a call serves is a query. Only those share: a mutation's own
   * reads (after it has written) must not join a read that a query sent before the write.
   */
  readsOnly?: (context: unknown) => boolean;
}

/**
 * The router's data source for one subgraph: a RemoteGraphQLDataSource whose calls go over an
 * undici keep-alive pool, stop after `timeoutMs` or as soon as the client request they serve has
 * run out of time (the request scope's signal), and share identical reads in flight.
 */
export class TimedRemoteGraphQLDataSource extends RemoteGraphQLDataSource {
  readonly subgraph: string;
  private readonly timeoutMs: number;
  private readonly deduplicate: boolean;
  private readonly callerKey: (context: unknown) => string;
  private readonly readsOnly: (context: unknown) => boolean;
  private readonly inFlight = new Map<string, InFlight>();

  constructor(config: SubgraphDataSourceConfig) {
    const { subgraph, timeoutMs, deduplicate, callerKey, readsOnly, ...rest } = config;
    super(rest);
    this.subgraph = subgraph;
    this.timeoutMs = timeoutMs;
    this.deduplicate = deduplicate ?? true;
    this.callerKey = callerKey ?? (() => '');
    this.readsOnly = readsOnly ?? (() => true);
    // sendRequest is private in the typings: replaced on the instance, everything else (willSendRequest, respond) stays.
    (this as unknown as { sendRequest: unknown }).sendRequest = (request: SubgraphRequest, context: unknown) => this.sendOverPool(request, context);
  }

  private async sendOverPool(request: SubgraphRequest, context: unknown): Promise<object> {
    const { http, ...operation } = request;
    if (!http) throw new Error("Internal error: Only 'http' requests are supported.");
    const body = JSON.stringify(operation);
    const headers: Record<string, string> = {};
    for (const [name, value] of http.headers) headers[name] = value;
    const started = performance.now();
    // A client request already out of time sends nothing.
    const scope = currentRequestScope()?.signal;
    if (scope?.aborted) throw scope.reason;
    const shareable = this.deduplicate && READ_OPERATION.test(request.query ?? '') && this.readsOnly(context);
    const key = shareable ? `${http.url}\u0000${this.callerKey(context)}\u0000${body}` : '';
    let shared = false;
    let answer: RawAnswer;
    try {
      const existing = shareable ? this.inFlight.get(key) : undefined;
      shared = existing !== undefined;
      answer = await this.wait(existing ?? this.start(key, shareable, http.url, headers, body));
    } catch (error) {
      reportSubgraphFetch({ subgraph: this.subgraph, durationMs: performance.now() - started, outcome: error instanceof SubgraphTimeoutError ? 'timeout' : 'network_error', shared });
      throw error;
    }
    const ok = answer.status >= 200 && answer.status < 300;
    reportSubgraphFetch({ subgraph: this.subgraph, durationMs: performance.now() - started, outcome: ok ? 'ok' : 'http_error', status: answer.status, shared });
    const parsed = parseAnswer(http.url, answer);
    if (!ok) throw errorFromAnswer(http.url, answer, parsed);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`Expected JSON response body, but received: ${parsed}`);
    // `respond` reads only the cache-control header of `http`.
    const responseHeaders = { get: (name: string) => (name.toLowerCase() === 'cache-control' ? (answer.cacheControl ?? null) : null) };
    return { ...(parsed as object), http: { headers: responseHeaders } };
  }

  /** Sends one call; a shareable one is registered until it settles, so identical calls join it. */
  private start(key: string, shareable: boolean, url: string, headers: Record<string, string>, body: string): InFlight {
    const controller = new AbortController();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([timeout, controller.signal]);
    const answer = send(url, headers, body, signal).catch((error: unknown) => {
      if (timeout.aborted) throw new SubgraphTimeoutError(this.subgraph, this.timeoutMs);
      throw error;
    });
    // Every path below handles a rejection, but a call nobody waits on any more must not leave one unhandled.
    answer.catch(() => {});
    const call: InFlight = { key, answer, waiting: 0, controller };
    if (shareable) {
      this.inFlight.set(key, call);
      const forget = () => {
        if (this.inFlight.get(key) === call) this.inFlight.delete(key);
      };
      answer.then(forget, forget);
    }
    return call;
  }

  /** Waits for a call, giving up (and abandoning it if nobody else waits) when this client request runs out of time. */
  private async wait(call: InFlight): Promise<RawAnswer> {
    const request = currentRequestScope()?.signal;
    call.waiting++;
    if (!request) {
      try {
        return await call.answer;
      } finally {
        call.waiting--;
      }
    }
    if (request.aborted) {
      this.leave(call);
      throw request.reason;
    }
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(request.reason);
      request.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([call.answer, aborted]);
    } catch (error) {
      if (request.aborted) this.leave(call);
      throw error;
    } finally {
      request.removeEventListener('abort', onAbort);
      if (!request.aborted) call.waiting--;
    }
  }

  private leave(call: InFlight): void {
    call.waiting--;
    if (call.waiting > 0) return;
    // Abandoned: a caller arriving now starts a call of its own rather than join this one.
    if (this.inFlight.get(call.key) === call) this.inFlight.delete(call.key);
    call.controller.abort(new Error('every client request waiting for this subgraph call has ended'));
  }
}

async function send(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<RawAnswer> {
  try {
    const response = await agent.request({ origin: new URL(url).origin, path: pathOf(url), method: 'POST', headers, body, signal });
    const text = await response.body.text();
    const header = (name: string) => {
      const value = response.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    return { status: response.statusCode, contentType: header('content-type') ?? '', cacheControl: header('cache-control'), text };
  } catch (error) {
    if (signal.aborted) throw error;
    // Named like node-fetch's errors, which name the URL: the error formatter finds the subgraph by it.
    const cause = error as { code?: string; message?: string };
    throw new Error(`request to ${url} failed, reason: ${[cause.code, cause.message].filter(Boolean).join(' ')}`, { cause: error });
  }
}

const paths = new Map<string, string>();
function pathOf(url: string): string {
  let path = paths.get(url);
  if (path === undefined) {
    const parsed = new URL(url);
    path = `${parsed.pathname}${parsed.search}`;
    paths.set(url, path);
  }
  return path;
}

function parseAnswer(url: string, answer: RawAnswer): unknown {
  const json = answer.contentType.startsWith('application/json') || answer.contentType.startsWith('application/graphql-response+json');
  if (!json) return answer.text;
  try {
    return JSON.parse(answer.text);
  } catch (error) {
    // Named like node-fetch's, so the log names the subgraph.
    throw new Error(`invalid json response body at ${url} reason: ${(error as Error).message}`, { cause: error });
  }
}

/** What RemoteGraphQLDataSource.errorFromResponse makes of a non-2xx answer. */
function errorFromAnswer(url: string, answer: RawAnswer, body: unknown): GraphQLError {
  const statusText = STATUS_CODES[answer.status] ?? '';
  const extensions: Record<string, unknown> = { response: { url, status: answer.status, statusText, body } };
  if (answer.status === 401) extensions.code = 'UNAUTHENTICATED';
  else if (answer.status === 403) extensions.code = 'FORBIDDEN';
  return new GraphQLError(`${answer.status}: ${statusText}`, { extensions });
}

/** One router-to-subgraph call, as metrics and logs see it. */
export interface SubgraphFetchRecord {
  subgraph: string;
  durationMs: number;
  /** `ok` (HTTP 2xx), `http_error` (another status), `timeout`, or `network_error`. */
  outcome: 'ok' | 'http_error' | 'timeout' | 'network_error';
  status?: number;
  /** True when this call joined an identical one already in flight instead of sending its own. */
  shared?: boolean;
}

const fetchObservers = new Set<(record: SubgraphFetchRecord) => void>();

/** Calls `observer` after every subgraph call the router makes; returns a function that stops it. */
export function onSubgraphFetch(observer: (record: SubgraphFetchRecord) => void): () => void {
  fetchObservers.add(observer);
  return () => fetchObservers.delete(observer);
}

export function reportSubgraphFetch(record: SubgraphFetchRecord): void {
  for (const observer of fetchObservers) observer(record);
}
