import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditDatabaseTarget, loadEnv } from '@joinery/core';

describe('audit store configuration', () => {
  it('is embedded PGlite in DATA_DIR/audit by default', () => {
    expect(auditDatabaseTarget(loadEnv({ DATA_DIR: '/var/joinery' }))).toEqual({ kind: 'pglite', dataDir: resolve('/var/joinery', 'audit') });
  });

  it('uses the audit schema of DATABASE_URL, or AUDIT_DATABASE_URL and AUDIT_DATABASE_SCHEMA when given', () => {
    expect(auditDatabaseTarget(loadEnv({ DATABASE_URL: 'postgresql://db/brand' }))).toMatchObject({ kind: 'postgres', url: 'postgresql://db/brand', schema: 'audit' });
    expect(auditDatabaseTarget(loadEnv({ DATABASE_URL: 'postgresql://db/brand', AUDIT_DATABASE_URL: 'postgres://audit-db/log', AUDIT_DATABASE_SCHEMA: 'router_audit' })))
      .toMatchObject({ kind: 'postgres', url: 'postgres://audit-db/log', schema: 'router_audit' });
  });
});
