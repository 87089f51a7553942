import { ApolloServer } from '@apollo/server';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forbidden, graphQLError, type Identity } from '@joinery/core';
import type { AuditRecord } from './audit-store';
import { auditPlugin } from './recorder';

const schema = buildSchema(`
  type Query { ping: String }
  type UserError { code: String!, message: String! }
  type Location { id: ID!, code: String!, history(first: Int): [String!] }
  input CreateLocationInput { code: String!, apiKey: String, webhookUrl: String }
  type LocationPayload { location: Location, userErrors: [UserError!]!, events(first: Int): [String!], receipt(first: Int): String! }
  type Mutation { createLocation(input: CreateLocationInput!, dryRun: Boolean = false): LocationPayload!, bump: Int! }
`);

/** Like a connection's `first`: refused above 250, after the payload it hangs off was returned. */
const checkFirst = (first: number | undefined) => {
  if ((first ?? 0) > 250) throw graphQLError('BAD_USER_INPUT', `first must be between 0 and 250; got ${first}`);
};
const history = ({ first }: { first?: number }) => (checkFirst(first), []);
const receipt = ({ first }: { first?: number }) => (checkFirst(first), 'receipt-1');

/** Codes of the locations createLocation made: what "the change was made" means here. */
const created: string[] = [];

const root = {
  ping: () => 'pong',
  createLocation: ({ input }: { input: { code: string } }) => {
    if (input.code === 'NOPE') throw forbidden('The analyst role may not do this (needs catalog:write)');
    if (input.code === 'DUP') return { location: null, userErrors: [{ code: 'CONFLICT', message: 'Location code DUP is taken' }], events: history, receipt };
    created.push(input.code);
    return { location: { id: `id-${input.code}`, code: input.code, history }, userErrors: [], events: history, receipt };
  },
  bump: () => {
    throw forbidden('bump needs catalog:write');
  },
};

const manager: Identity = { subject: 'maria', role: 'manager', locations: ['loc-a', 'loc-b'], actor: 'maria' };
const CREATE = 'mutation Create($input: CreateLocationInput!) { createLocation(input: $input) { location { id } } }';

describe('auditPlugin', () => {
  const written: AuditRecord[] = [];
  const logged: string[] = [];
  let failWrites = false;
  let server: ApolloServer;

  beforeAll(async () => {
    const sink = {
      async record(entry: AuditRecord) {
        if (failWrites) throw new Error('audit database is down');
        written.push(entry);
      },
    };
    server = new ApolloServer({ schema, rootValue: root, plugins: [auditPlugin(sink, (line) => logged.push(line))] });
    await server.start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    written.length = 0;
    logged.length = 0;
    created.length = 0;
    failWrites = false;
  });

  const run = async (query: string, variables?: Record<string, unknown>, operationName?: string) => {
    const response = await server.executeOperation({ query, variables, operationName }, { contextValue: { identity: manager, requestId: 'req-1' } });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult;
  };

  it('records who ran a mutation, its fields, redacted variables and arguments, and SUCCEEDED, before answering', async () => {
    const before = Date.now();
    const result = await run(CREATE, { input: { code: 'OSL', apiKey: 'k-123' } });
    expect(result.errors).toBeUndefined();
    expect(written).toHaveLength(1);
    const [entry] = written;
    expect(entry).toMatchObject({
      subject: 'maria', role: 'manager', locations: ['loc-a', 'loc-b'], requestId: 'req-1', operationName: 'Create',
      fields: ['createLocation'], variables: { input: { code: 'OSL', apiKey: '[REDACTED]' } }, outcome: 'SUCCEEDED', codes: [],
    });
    // The argument's default is what the resolver received too.
    expect(entry.arguments).toEqual({ createLocation: { input: { code: 'OSL', apiKey: '[REDACTED]' }, dryRun: false } });
    expect(entry.at.getTime()).toBeGreaterThanOrEqual(before);
    expect(entry.at.getTime()).toBeLessThanOrEqual(Date.now());
    expect(entry.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records USER_ERROR with the userErrors codes even when the client did not select userErrors, and answers only what it asked for', async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      // The second run gets Apollo Server's cached document: it must be probed again, and stay unprobed in the cache.
      const result = await run(CREATE, { input: { code: 'DUP' } });
      expect(result.data).toEqual({ createLocation: { location: null } });
    }
    expect(written.map((entry) => [entry.outcome, entry.codes])).toEqual([['USER_ERROR', ['CONFLICT']], ['USER_ERROR', ['CONFLICT']]]);
  });

  it('records FAILED with the error codes when the mutation is refused with an error', async () => {
    const result = await run(CREATE, { input: { code: 'NOPE' } });
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(written).toMatchObject([{ outcome: 'FAILED', codes: ['FORBIDDEN'], fields: ['createLocation'] }]);
  });

  it('records a mutation refused by validation as FAILED, with its arguments as written', async () => {
    await run('mutation { createLocation(input: { code: 7, apiKey: "k-7" }) { location { id } } }');
    expect(written).toMatchObject([{ outcome: 'FAILED', codes: ['GRAPHQL_VALIDATION_FAILED'], fields: ['createLocation'], operationName: null }]);
    expect(written[0].arguments).toEqual({ createLocation: { input: { code: 7, apiKey: '[REDACTED]' } } });
  });

  it('does not record queries, nor documents that do not parse', async () => {
    await run('query { ping }');
    await run('{ ping }');
    await run('mutation { createLocation(');
    expect(written).toEqual([]);
  });

  it('answers the mutation and logs the request id when the entry cannot be written', async () => {
    failWrites = true;
    const result = await run(CREATE, { input: { code: 'BGO' } });
    expect(result.data).toEqual({ createLocation: { location: { id: 'id-BGO' } } });
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({ level: 'error', requestId: 'req-1', subject: 'maria', fields: ['createLocation'], msg: expect.stringMatching(/mutation itself has run/) });
  });

  describe('outcome, per root field', () => {
    it('is SUCCEEDED, with the nested code, when a field read after the change errors', async () => {
      const result = await run('mutation { createLocation(input: { code: "TRD" }) { location { id history(first: 251) } } }');
      expect(result.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['createLocation', 'location', 'history'], 'BAD_USER_INPUT']]);
      expect(created).toEqual(['TRD']);
      expect(written).toMatchObject([{ outcome: 'SUCCEEDED', codes: ['BAD_USER_INPUT'] }]);
    });

    it('is USER_ERROR when a payload has userErrors and a nested field errors; codes hold both', async () => {
      await run('mutation { createLocation(input: { code: "DUP" }) { events(first: 251) } }');
      expect(written).toMatchObject([{ outcome: 'USER_ERROR', codes: ['BAD_USER_INPUT', 'CONFLICT'] }]);
    });

    // No payload in Joinery's schema has a non-null field a client can make fail; should one appear,
    // an entry must not hide a change that was made. (The payload's userErrors are lost with it.)
    it('is not FAILED when a nested error nulls the root field (a non-null field): the change was made', async () => {
      const result = await run('mutation { createLocation(input: { code: "SVG" }) { receipt(first: 251) } }');
      expect(result.data).toBeNull();
      expect(created).toEqual(['SVG']);
      expect(written).toMatchObject([{ outcome: 'SUCCEEDED', codes: ['BAD_USER_INPUT'] }]);
    });

    it('is FAILED when one root field of several fails at its own path', async () => {
      const result = await run('mutation { createLocation(input: { code: "KRS" }) { location { id } } bump }');
      expect(result.errors?.map((error) => error.path)).toEqual([['bump']]);
      expect(written).toMatchObject([{ outcome: 'FAILED', codes: ['FORBIDDEN'], fields: ['createLocation', 'bump'] }]);
    });
  });

  describe('arguments', () => {
    it('records arguments written inline, redacted, where variables record nothing', async () => {
      await run('mutation { createLocation(input: { code: "TRD", apiKey: "k-9", webhookUrl: "https://hooks.slack.com/services/T1/B2/s3cr3t" }) { location { id } } }');
      expect(written).toHaveLength(1);
      expect(written[0].variables).toEqual({});
      expect(written[0].arguments).toEqual({ createLocation: { input: { code: 'TRD', apiKey: '[REDACTED]', webhookUrl: 'https://hooks.slack.com/[REDACTED]' }, dryRun: false } });
      expect(JSON.stringify(written[0])).not.toContain('s3cr3t');
      expect(JSON.stringify(written[0])).not.toContain('k-9');
    });

    it('keys aliased fields "alias: field", and a secret-looking alias or variable name hides nothing', async () => {
      await run(
        'mutation Two($token: CreateLocationInput!) { token: createLocation(input: $token) { location { id } } b: createLocation(input: { code: "B" }, dryRun: true) { location { id } } }',
        { token: { code: 'A' } },
      );
      expect(written).toHaveLength(1);
      expect(written[0].variables).toEqual({ token: '[REDACTED]' });
      expect(written[0].arguments).toEqual({ 'token: createLocation': { input: { code: 'A' }, dryRun: false }, 'b: createLocation': { input: { code: 'B' }, dryRun: true } });
      expect(written[0].fields).toEqual(['createLocation']);
    });
  });

  describe('the userErrors probe', () => {
    it('cannot be answered by the client: its own field under the old probe alias stays in its answer and is not read as the probe', async () => {
      const spoofed = await run('mutation { createLocation(input: { code: "DUP" }) { joineryAuditUserErrors: __typename } }');
      expect(spoofed.data).toEqual({ createLocation: { joineryAuditUserErrors: 'LocationPayload' } });
      const forged = await run('mutation { createLocation(input: { code: "DUP" }) { joineryAuditUserErrors: userErrors { code: message } } }');
      expect(forged.data).toEqual({ createLocation: { joineryAuditUserErrors: [{ code: 'Location code DUP is taken' }] } });
      expect(written.map((entry) => [entry.outcome, entry.codes])).toEqual([['USER_ERROR', ['CONFLICT']], ['USER_ERROR', ['CONFLICT']]]);
    });

    it("leaves the client's own userErrors selection alone", async () => {
      const result = await run('mutation { createLocation(input: { code: "DUP" }) { userErrors { code message } } }');
      expect(result.data).toEqual({ createLocation: { userErrors: [{ code: 'CONFLICT', message: 'Location code DUP is taken' }] } });
      expect(written).toMatchObject([{ outcome: 'USER_ERROR', codes: ['CONFLICT'] }]);
    });
  });
});
