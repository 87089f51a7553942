import { availableParallelism } from 'node:os';
import type { Env } from '@joinery/core';

/** ROUTER_WORKERS as a number: `auto` is one per core this process may use. */
export function routerWorkerCount(env: Pick<Env, 'ROUTER_WORKERS'>): number {
  return env.ROUTER_WORKERS === 'auto' ? availableParallelism() : env.ROUTER_WORKERS;
}
