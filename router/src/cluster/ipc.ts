import type { Worker } from 'node:cluster';
import { GraphQLError } from 'graphql';

/**
 * One end of the primary–worker channel: `process` in a worker, a cluster `Worker` in the
 * primary, a fake in tests. Messages are structured clones (the cluster runs with
 * `serialization: 'advanced'`), so Dates arrive as Dates.
 */
export interface IpcEndpoint {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
}

interface IpcRequest {
  joinery: 'request';
  id: number;
  method: string;
  params: unknown[];
}

interface IpcReply {
  joinery: 'reply';
  id: number;
  value?: unknown;
  /** A GraphQLError keeps its extensions (BAD_USER_INPUT on a bad cursor must reach the client as such). */
  error?: { message: string; extensions?: Record<string, unknown> };
}

/** Other messages share the channel (node:cluster's own, prom-client's): ours carry a `joinery` tag. */
function isTagged<T extends { joinery: string }>(message: unknown, tag: T['joinery']): message is T {
  return typeof message === 'object' && message !== null && (message as { joinery?: unknown }).joinery === tag;
}

/** The worker's end: `process`, whose channel the primary opened with cluster.fork(). */
export function processEndpoint(): IpcEndpoint {
  return {
    send(message) {
      // The channel closes when the primary goes, and the worker exits then (node:cluster): nothing to answer.
      if (process.connected) process.send!(message, undefined, {}, () => {});
    },
    onMessage(listener) {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
}

/** The primary's end of one worker's channel. */
export function workerEndpoint(worker: Worker): IpcEndpoint {
  return {
    send(message) {
      // A worker that died meanwhile takes its request with it; without a callback Node would throw here.
      if (worker.isConnected()) worker.send(message as never, undefined, () => {});
    },
    onMessage(listener) {
      worker.on('message', listener);
      return () => worker.off('message', listener);
    },
  };
}

export class IpcError extends Error {
  override name = 'IpcError';
}

/** Calls the handlers at the other end of an endpoint (see serveIpc) and waits for their answer. */
export class IpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private readonly unsubscribe: () => void;

  /** `timeoutMs`: longest a call waits for its answer. Default 10000. */
  constructor(private readonly endpoint: IpcEndpoint, private readonly timeoutMs = 10_000) {
    this.unsubscribe = endpoint.onMessage((message) => {
      if (!isTagged<IpcReply>(message, 'reply')) return;
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      if (!message.error) return call.resolve(message.value);
      const { message: text, extensions } = message.error;
      call.reject(extensions ? new GraphQLError(text, { extensions }) : new IpcError(text));
    });
  }

  call<T>(method: string, ...params: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new IpcError(`${method} got no answer over IPC within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      // Waiting calls must not keep a process alive that is otherwise done.
      timer.unref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.endpoint.send({ joinery: 'request', id, method, params } satisfies IpcRequest);
    });
  }

  /** Stops listening; calls still waiting fail. */
  close(): void {
    this.unsubscribe();
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new IpcError('the IPC channel was closed before an answer came'));
      this.pending.delete(id);
    }
  }
}

export type IpcHandlers = Record<string, (...params: never[]) => Promise<unknown> | unknown>;

/** Answers IpcClient calls arriving at `endpoint` with `handlers`; returns a function that stops. */
export function serveIpc(endpoint: IpcEndpoint, handlers: IpcHandlers): () => void {
  return endpoint.onMessage((message) => {
    if (!isTagged<IpcRequest>(message, 'request')) return;
    const { id, method, params } = message;
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    const reply = (answer: Omit<IpcReply, 'joinery' | 'id'>) => endpoint.send({ joinery: 'reply', id, ...answer } satisfies IpcReply);
    if (!handler) return reply({ error: { message: `no IPC handler for ${method}` } });
    Promise.resolve()
      .then(() => (handler as (...args: unknown[]) => unknown)(...params))
      .then(
        (value) => reply({ value }),
        (error: unknown) => reply({ error: error instanceof GraphQLError ? { message: error.message, extensions: { ...error.extensions } } : { message: String((error as Error)?.message ?? error) } }),
      );
  });
}
