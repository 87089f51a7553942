import { deserialize, serialize } from 'node:v8';
import type { IpcEndpoint } from './ipc';

/**
 * Two connected IPC endpoints in one process, for tests: each message is copied the way the
 * cluster's `serialization: 'advanced'` copies it (V8's serializer) and delivered on a later tick.
 */
export function channelPair(): [IpcEndpoint, IpcEndpoint] {
  const listeners: [Set<(message: unknown) => void>, Set<(message: unknown) => void>] = [new Set(), new Set()];
  const end = (own: 0 | 1): IpcEndpoint => ({
    send(message) {
      const copy = deserialize(serialize(message));
      setImmediate(() => listeners[1 - own].forEach((listener) => listener(copy)));
    },
    onMessage(listener) {
      listeners[own].add(listener);
      return () => listeners[own].delete(listener);
    },
  });
  return [end(0), end(1)];
}
