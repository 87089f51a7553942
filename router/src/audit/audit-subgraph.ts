import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalGraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { allLocations, DateTimeScalar, forbidden, graphQLError, requirePermission, ROLES, type Connection, type Identity, type PageArgs } from '@joinery/core';
import type { AuditEntry, AuditFilter, AuditLog } from './audit-store';

/** The audit subgraph's name in schema/compose.ts and the supergraph. */
export const AUDIT_SUBGRAPH = 'audit';
export const AUDIT_SCHEMA_PATH = fileURLToPath(new URL('./schema.graphql', import.meta.url));

type Resolvers = Parameters<typeof buildSubgraphSchema>[0] extends infer T ? Extract<T, { resolvers?: unknown }>['resolvers'] : never;

/** Who may read the log: `audit:read` (admins), over every location, since entries span them all. */
function requireAuditReader(identity: Identity | undefined): void {
  if (!identity) throw forbidden('Reading the audit log needs an authenticated caller');
  requirePermission(identity, 'audit:read');
  if (!allLocations(identity)) throw forbidden('The audit log covers every location: only an admin over every location ("*") may read it');
}

function checkFilter(filter: AuditFilter): AuditFilter {
  if (filter.role != null && !(ROLES as readonly string[]).includes(filter.role)) {
    throw graphQLError('BAD_USER_INPUT', `filter.role must be one of ${ROLES.join(', ')}; got ${JSON.stringify(filter.role)}`, { argumentName: 'filter' });
  }
  if (filter.from && filter.to && filter.from >= filter.to) {
    throw graphQLError('BAD_USER_INPUT', `filter.from (${filter.from.toISOString()}) must be before filter.to (${filter.to.toISOString()})`, { argumentName: 'filter' });
  }
  return filter;
}

function resolvers(store: AuditLog | undefined): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Query: {
      auditLog: async (_: unknown, args: PageArgs & { filter?: AuditFilter | null }, context: { identity?: Identity }) => {
        requireAuditReader(context.identity);
        if (!store) throw graphQLError('UNAVAILABLE', 'This router was started without an audit store, so it keeps no audit log');
        return store.list(args, checkFilter(args.filter ?? {}));
      },
    },
    AuditEntryConnection: {
      totalCount: (page: Connection<AuditEntry>) => page.totalCount(),
    },
  } as Resolvers;
}

/**
 * The `audit` subgraph, served inside the router (no port of its own): the gateway calls it like
 * any subgraph, with the router's context (`identity`) as its context.
 */
export function auditDataSource(store: AuditLog | undefined): LocalGraphQLDataSource {
  return new LocalGraphQLDataSource(buildSubgraphSchema({ typeDefs: parse(readFileSync(AUDIT_SCHEMA_PATH, 'utf8')), resolvers: resolvers(store) }));
}
