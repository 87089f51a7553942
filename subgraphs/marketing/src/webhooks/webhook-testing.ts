import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '@joinery/core';
import type { Backend } from '@joinery/core/testing';
import { buildMarketingSubgraph, openMarketingDatabase, type MarketingSubgraph } from '../server';

/** A marketing subgraph alone on a free port; campaigns without targets never ask inventory. */
export async function startMarketing(backend: Backend): Promise<{ subgraph: MarketingSubgraph; url: string; database: Database }> {
  const database = await openMarketingDatabase(backend.targets().marketing);
  const subgraph = await buildMarketingSubgraph({
    database,
    inventory: { lookup: async () => { throw new Error('inventory is not part of this test'); } },
  });
  return { subgraph, url: await subgraph.listen(0), database };
}

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver: `answer` decides each response; every request is kept. */
export async function startReceiver(answer: (request: ReceivedRequest, index: number) => { status: number; body?: string } | Promise<{ status: number; body?: string }>) {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const entry = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
    received.push(entry);
    const { status, body } = await answer(entry, received.length - 1);
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds, failing after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}
