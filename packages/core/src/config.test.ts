import { describe, expect, it, vi } from 'vitest';
import { ConfigError, databaseTarget, loadEnv, requireServiceSecrets, routerSettings, shouldSeed, subgraphUrl, webSocketLimits, withoutCredentials } from './config';
import { DEVELOPMENT_INTERNAL_SECRET } from './auth/internal-token';
import { DEVELOPMENT_JWT_SECRET } from './auth/user-token';

describe('configuration', () => {
  it('defaults to embedded PGlite with demo data and the standard ports', () => {
    const env = loadEnv({});
    expect(env.ROUTER_PORT).toBe(4000);
    expect(subgraphUrl(env, 'sales')).toBe('http://127.0.0.1:4002/graphql');
    const target = databaseTarget(env, 'inventory');
    expect(target).toMatchObject({ kind: 'pglite' });
    expect(shouldSeed(env, target)).toBe(true);
  });

  it('puts each subgraph in its own schema on PostgreSQL, with per-subgraph overrides', () => {
    const env = loadEnv({ DATABASE_URL: 'postgresql://db/brand', SALES_DATABASE_URL: 'postgres://sales-db/sales' });
    expect(databaseTarget(env, 'inventory')).toMatchObject({ kind: 'postgres', url: 'postgresql://db/brand', schema: 'inventory' });
    expect(databaseTarget(env, 'sales')).toMatchObject({ url: 'postgres://sales-db/sales', schema: 'sales' });
    expect(shouldSeed(env, databaseTarget(env, 'sales'))).toBe(false);
  });

  it('stops with a message naming each bad variable and what it expects', () => {
    let error: unknown;
    try {
      loadEnv({ ROUTER_PORT: 'eighty', DATABASE_URL: 'mysql://db', SEED_DEMO_DATA: 'maybe' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/ROUTER_PORT: .*"eighty"/);
    expect(message).toMatch(/DATABASE_URL: must start with postgres/);
    expect(message).toMatch(/SEED_DEMO_DATA/);
  });

  it('shows bad URL values without their credentials, query string or fragment', () => {
    let message = '';
    try {
      loadEnv({
        AUDIT_DATABASE_URL: 'mysql://auditor:hunter2@audit-db:3306/audit?sslpassword=s3cr3t',
        REDIS_URL: 'http://:redis-pass@cache:6379/0',
        JWKS_URL: 'ftp://id.example/jwks.json?api_key=k3y#frag',
        DATABASE_URL: 'admin:p@ss/word@db/brand',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/AUDIT_DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\/ \(got "mysql:\/\/\[REDACTED\]@audit-db:3306\/audit"\)/);
    expect(message).toMatch(/REDIS_URL: .*\(got "http:\/\/\[REDACTED\]@cache:6379\/0"\)/);
    expect(message).toMatch(/JWKS_URL: .*\(got "ftp:\/\/id.example\/jwks.json"\)/);
    expect(message).toMatch(/DATABASE_URL: .*\(got "\[REDACTED\]@db\/brand"\)/);
    for (const secret of ['auditor', 'hunter2', 's3cr3t', 'redis-pass', 'k3y', 'frag', 'admin', 'p@ss']) expect(message).not.toContain(secret);
  });

  it('leaves values that are not URLs as they are', () => {
    expect(withoutCredentials('ROUTER_PORT', 'eighty')).toBe('eighty');
    expect(withoutCredentials('HOST', 'user@host')).toBe('user@host');
    expect(withoutCredentials('SALES_URL', 'https://sales.internal:4002/graphql')).toBe('https://sales.internal:4002/graphql');
  });

  it('caps WebSocket connections per subject (WS_MAX_CONNECTIONS_PER_SUBJECT, default 50)', () => {
    expect(webSocketLimits(loadEnv({})).maxConnectionsPerSubject).toBe(50);
    expect(webSocketLimits(loadEnv({ WS_MAX_CONNECTIONS_PER_SUBJECT: '5' })).maxConnectionsPerSubject).toBe(5);
    expect(() => loadEnv({ WS_MAX_CONNECTIONS_PER_SUBJECT: '0' })).toThrow(/WS_MAX_CONNECTIONS_PER_SUBJECT/);
  });
});

describe('router authentication and hardening settings', () => {
  const SECRET = 'a-deployment-secret-of-at-least-32-characters';
  const INTERNAL = 'an-internal-secret-of-at-least-32-characters';
  const failure = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('has documented defaults: development JWT, introspection on outside production, generous rate limits', () => {
    const settings = routerSettings(loadEnv({}));
    expect(settings.developmentJwt).toBe(true);
    expect(settings.jwt).toEqual({ secret: undefined, jwksUrl: undefined, issuer: undefined, audience: undefined, roleClaim: 'role', locationsClaim: 'locations' });
    expect(settings.limits).toEqual({ maxDepth: 10, maxAliases: 15, maxDirectives: 20, maxTokens: 1000, maxCost: 300_000, introspection: true, fieldSuggestions: true });
    expect(settings.rateLimits).toMatchObject({ windowSeconds: 60, perIp: 120_000, perSubject: 60_000, authFailuresPerIp: 60, trustProxyHops: 0, redisUrl: undefined });
    expect(settings.http).toEqual({ maxBodyBytes: 262_144, requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, socketRequestTimeoutMs: 30_000 });
    expect(settings.persistedOperations).toBeUndefined();
  });

  it('refuses to start the router in production without JWT_SECRET or JWKS_URL, or INTERNAL_AUTH_SECRET', () => {
    const message = failure(() => routerSettings(loadEnv({ NODE_ENV: 'production' })));
    expect(message).toMatch(/JWT_SECRET \/ JWKS_URL: one is required when NODE_ENV=production/);
    expect(message).toMatch(/INTERNAL_AUTH_SECRET: required when NODE_ENV=production/);
    expect(() => routerSettings(loadEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET, INTERNAL_AUTH_SECRET: INTERNAL }))).not.toThrow();
    expect(() => routerSettings(loadEnv({ NODE_ENV: 'production', JWKS_URL: 'https://id.example/.well-known/jwks.json', JWT_ISSUER: 'https://id.example/', JWT_AUDIENCE: 'joinery-api', INTERNAL_AUTH_SECRET: INTERNAL }))).not.toThrow();
  });

  it('requires JWT_ISSUER and JWT_AUDIENCE with JWKS_URL in production, and warns without them elsewhere', () => {
    const jwks = { JWKS_URL: 'https://tenant.example/.well-known/jwks.json', INTERNAL_AUTH_SECRET: INTERNAL };
    const both = failure(() => routerSettings(loadEnv({ NODE_ENV: 'production', ...jwks })));
    expect(both).toMatch(/JWT_ISSUER \/ JWT_AUDIENCE: required when NODE_ENV=production with JWKS_URL \(without them, a token your identity provider issued for another API or tenant would be accepted here\)/);
    const audience = failure(() => routerSettings(loadEnv({ NODE_ENV: 'production', ...jwks, JWT_ISSUER: 'https://tenant.example/' })));
    expect(audience).toMatch(/  - JWT_AUDIENCE: required when NODE_ENV=production with JWKS_URL/);
    expect(audience).not.toMatch(/JWT_ISSUER/);
    expect(failure(() => routerSettings(loadEnv({ NODE_ENV: 'production', ...jwks, JWT_AUDIENCE: 'joinery-api' })))).toMatch(/  - JWT_ISSUER: required/);

    const warn = vi.fn();
    expect(routerSettings(loadEnv(jwks), warn).jwt.jwksUrl).toBe(jwks.JWKS_URL);
    expect(warn).toHaveBeenCalledExactlyOnceWith('JWT_ISSUER and JWT_AUDIENCE unset with JWKS_URL (without them, a token your identity provider issued for another API or tenant would be accepted here); production refuses to start without them');
    warn.mockClear();
    routerSettings(loadEnv({ ...jwks, JWT_ISSUER: 'https://tenant.example/', JWT_AUDIENCE: 'joinery-api' }), warn);
    routerSettings(loadEnv({ JWT_SECRET: SECRET, INTERNAL_AUTH_SECRET: INTERNAL }), warn);
    expect(warn).not.toHaveBeenCalled();
  });

  it('refuses the issuer and audience reserved for internal identity tokens', () => {
    const message = failure(() => routerSettings(loadEnv({ JWT_SECRET: SECRET, INTERNAL_AUTH_SECRET: INTERNAL, JWT_ISSUER: 'joinery', JWT_AUDIENCE: 'joinery-subgraphs' })));
    expect(message).toMatch(/JWT_ISSUER: "joinery" is reserved for Joinery's internal identity tokens/);
    expect(message).toMatch(/JWT_AUDIENCE: "joinery-subgraphs" is reserved for Joinery's internal identity tokens/);
  });

  describe('the development INTERNAL_AUTH_SECRET outside production', () => {
    it('is allowed on a developer\'s machine: loopback HOST, no JWT_SECRET or JWKS_URL', () => {
      for (const HOST of [undefined, '127.0.0.1', '::1', 'localhost', '[::1]', '127.0.0.2']) {
        const env = loadEnv(HOST ? { HOST } : {});
        expect(() => requireServiceSecrets(env), HOST).not.toThrow();
        expect(() => routerSettings(env), HOST).not.toThrow();
      }
      expect(() => requireServiceSecrets(loadEnv({ INTERNAL_AUTH_SECRET: DEVELOPMENT_INTERNAL_SECRET }))).not.toThrow();
    });

    it.each([
      ['JWT_SECRET is set', { JWT_SECRET: SECRET }],
      ['JWKS_URL is set', { JWKS_URL: 'https://id.example/jwks.json', JWT_ISSUER: 'https://id.example/', JWT_AUDIENCE: 'joinery-api' }],
      ['HOST=0.0.0.0 is not a loopback address', { HOST: '0.0.0.0' }],
      ['HOST=10.0.4.7 is not a loopback address', { HOST: '10.0.4.7' }],
      ['HOST=:: is not a loopback address', { HOST: '::' }],
    ] as const)('is refused by every service when %s', (reason, variables) => {
      const unset = failure(() => requireServiceSecrets(loadEnv(variables)));
      expect(unset).toContain(`INTERNAL_AUTH_SECRET: required when ${reason}`);
      expect(unset).toMatch(/anyone reaching a subgraph could sign identities with it/);
      expect(failure(() => routerSettings(loadEnv(variables)))).toContain(`INTERNAL_AUTH_SECRET: required when ${reason}`);
      const explicit = failure(() => requireServiceSecrets(loadEnv({ ...variables, INTERNAL_AUTH_SECRET: DEVELOPMENT_INTERNAL_SECRET })));
      expect(explicit).toContain(`INTERNAL_AUTH_SECRET: is the development secret, refused when ${reason}`);
      expect(explicit).not.toContain(DEVELOPMENT_INTERNAL_SECRET);
      // A secret of one's own is all it takes.
      expect(() => requireServiceSecrets(loadEnv({ ...variables, INTERNAL_AUTH_SECRET: INTERNAL }))).not.toThrow();
      expect(() => routerSettings(loadEnv({ ...variables, INTERNAL_AUTH_SECRET: INTERNAL }))).not.toThrow();
    });

    it('names every reason at once', () => {
      expect(failure(() => requireServiceSecrets(loadEnv({ JWT_SECRET: SECRET, HOST: '0.0.0.0' })))).toContain('INTERNAL_AUTH_SECRET: required when JWT_SECRET is set, HOST=0.0.0.0 is not a loopback address');
    });
  });

  it('refuses JWT_SECRET equal to INTERNAL_AUTH_SECRET, in production or not', () => {
    for (const NODE_ENV of ['production', 'development']) {
      const message = failure(() => routerSettings(loadEnv({ NODE_ENV, JWT_SECRET: SECRET, INTERNAL_AUTH_SECRET: SECRET })));
      expect(message).toMatch(/JWT_SECRET: must differ from INTERNAL_AUTH_SECRET/);
      expect(message).not.toContain(SECRET);
      expect(failure(() => requireServiceSecrets(loadEnv({ NODE_ENV, JWT_SECRET: SECRET, INTERNAL_AUTH_SECRET: SECRET })))).toMatch(/JWT_SECRET: must differ from INTERNAL_AUTH_SECRET/);
    }
  });

  it('refuses the public development secrets in production', () => {
    const message = failure(() => routerSettings(loadEnv({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET, INTERNAL_AUTH_SECRET: DEVELOPMENT_INTERNAL_SECRET })));
    expect(message).toMatch(/JWT_SECRET: is the development secret/);
    expect(message).toMatch(/INTERNAL_AUTH_SECRET: is the development secret/);
    expect(failure(() => requireServiceSecrets(loadEnv({ NODE_ENV: 'production' })))).toMatch(/INTERNAL_AUTH_SECRET: required/);
    expect(() => requireServiceSecrets(loadEnv({}))).not.toThrow();
  });

  it('turns introspection and field suggestions off in production unless set', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: SECRET, INTERNAL_AUTH_SECRET: INTERNAL };
    expect(routerSettings(loadEnv(production)).limits).toMatchObject({ introspection: false, fieldSuggestions: false });
    expect(routerSettings(loadEnv({ ...production, GRAPHQL_INTROSPECTION: 'true' })).limits).toMatchObject({ introspection: true, fieldSuggestions: false });
    expect(routerSettings(loadEnv({ GRAPHQL_FIELD_SUGGESTIONS: 'false' })).limits.fieldSuggestions).toBe(false);
  });

  it('names bad secrets without printing them', () => {
    const message = failure(() => loadEnv({ JWT_SECRET: 'short-secret', INTERNAL_AUTH_SECRET: 'tiny' }));
    expect(message).toMatch(/JWT_SECRET: must be at least 32 characters .*\(got 12 characters\)/);
    expect(message).toMatch(/INTERNAL_AUTH_SECRET: must be at least 32 characters \(got 4 characters\)/);
    expect(message).not.toMatch(/short-secret|tiny/);
  });

  it('refuses both JWT_SECRET and JWKS_URL, a persisted mode without a manifest, and inverted HTTP timeouts', () => {
    const message = failure(() => routerSettings(loadEnv({ JWT_SECRET: SECRET, JWKS_URL: 'https://id.example/jwks', PERSISTED_OPERATIONS_MODE: 'enforce', HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '5000' })));
    expect(message).toMatch(/set one of them/);
    expect(message).toMatch(/PERSISTED_OPERATIONS_PATH: required when PERSISTED_OPERATIONS_MODE=enforce/);
    expect(message).toMatch(/HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS/);
    expect(failure(() => loadEnv({ PERSISTED_OPERATIONS_MODE: 'strict' }))).toMatch(/PERSISTED_OPERATIONS_MODE/);
  });

  it('shares rate limit counts through REDIS_URL under the channel prefix', () => {
    const settings = routerSettings(loadEnv({ REDIS_URL: 'redis://cache:6379', EVENT_CHANNEL_PREFIX: 'brand-a:', RATE_LIMIT_PER_IP: '0' }));
    expect(settings.rateLimits).toMatchObject({ redisUrl: 'redis://cache:6379', keyPrefix: 'brand-a:ratelimit:', perIp: 0 });
  });
});
