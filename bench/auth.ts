import { randomBytes } from 'node:crypto';
import { IDENTITY_HEADER, internalAuth, signUserToken } from '@joinery/core';

/**
 * Benchmarks run the services with NODE_ENV=production, which refuses development secrets: each
 * run makes its own, in this process's environment, which every service it starts inherits.
 */
process.env.JWT_SECRET ||= randomBytes(32).toString('hex');
process.env.INTERNAL_AUTH_SECRET ||= randomBytes(32).toString('hex');
/**
 * Every benchmark client is the one admin subject below, and bench:subscriptions opens one
 * WebSocket per subscriber (1000 by default): above the router's default cap of 50 per subject.
 */
process.env.WS_MAX_CONNECTIONS_PER_SUBJECT ||= '100000';

/**
 * Headers of an admin over every location: a bearer token for the router, and a signed
 * identity for a benchmark that writes to a subgraph directly.
 */
export async function benchHeaders(subject = 'bench'): Promise<Record<string, string>> {
  const [token, identity] = await Promise.all([
    signUserToken({ subject, role: 'admin', locations: ['*'] }),
    internalAuth().sign({ subject, role: 'admin', locations: '*', actor: subject }),
  ]);
  return { authorization: `Bearer ${token}`, [IDENTITY_HEADER]: identity };
}
