import cluster from 'node:cluster';
import { IpcClient, processEndpoint } from './ipc';

let client: IpcClient | undefined;

/** In a router worker (ROUTER_WORKERS > 1), the channel to the primary; undefined in a process of its own. */
export function primaryChannel(): IpcClient | undefined {
  if (!cluster.isWorker) return undefined;
  return (client ??= new IpcClient(processEndpoint()));
}
