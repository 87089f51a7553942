import { buildSchema, getOperationAST, parse, print, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { probeAlias, probeUserErrors, rootFieldNames, rootFields, takeProbedCodes, USER_ERRORS_PROBE_PREFIX } from './operation-shape';

const schema = buildSchema(`
  type Query { ping: String }
  type UserError { code: String!, message: String! }
  type Location { id: ID! }
  type LocationPayload { location: Location, userErrors: [UserError!]! }
  type RefreshPayload { refreshedAt: String }
  type Mutation { createLocation(code: String!): LocationPayload!, refresh: RefreshPayload!, bump: Int! }
`);

const operationOf = (document: DocumentNode) => getOperationAST(document)!;
const PROBE = `${USER_ERRORS_PROBE_PREFIX}0123456789abcdef0123456789abcdef`;

describe('rootFieldNames', () => {
  it('names the root fields (not their aliases), through inline fragments and fragment spreads, each once, without __typename', () => {
    const document = parse(`
      mutation Setup { __typename a: createLocation(code: "A") { location { id } } ...More ... on Mutation { bump } }
      fragment More on Mutation { b: createLocation(code: "B") { location { id } } refresh { refreshedAt } }`);
    expect(rootFieldNames(document, operationOf(document))).toEqual(['createLocation', 'refresh', 'bump']);
  });

  it('survives a fragment that spreads itself or is missing (documents that failed validation)', () => {
    const document = parse('mutation { ...Loop ...Missing } fragment Loop on Mutation { bump ...Loop }');
    expect(rootFieldNames(document, operationOf(document))).toEqual(['bump']);
  });
});

describe('rootFields', () => {
  it('is one field per response key, aliases kept apart, through fragments', () => {
    const document = parse('mutation { a: createLocation(code: "A") { location { id } } bump ...More } fragment More on Mutation { bump a: createLocation(code: "A") { userErrors { code } } }');
    expect(rootFields(document, operationOf(document)).map((field) => [field.alias?.value, field.name.value])).toEqual([['a', 'createLocation'], [undefined, 'bump']]);
  });
});

describe('probeAlias', () => {
  const document = parse('mutation { createLocation(code: "A") { location { id } } }');

  it('is the same for the same query and key, and differs with either: clients cannot know it', () => {
    const alias = probeAlias('key-1', 'hash-1', document);
    expect(alias).toMatch(new RegExp(`^${USER_ERRORS_PROBE_PREFIX}[0-9a-f]{32}$`));
    expect(probeAlias('key-1', 'hash-1', document)).toBe(alias);
    expect(probeAlias('key-2', 'hash-1', document)).not.toBe(alias);
    expect(probeAlias('key-1', 'hash-2', document)).not.toBe(alias);
  });

  it('is never a name the document uses itself', () => {
    const alias = probeAlias('key-1', 'hash-1', document);
    const using = parse(`mutation { createLocation(code: "A") { ${alias}: location { id } } }`);
    const other = probeAlias('key-1', 'hash-1', using);
    expect(other).not.toBe(alias);
    expect(other.startsWith(USER_ERRORS_PROBE_PREFIX)).toBe(true);
  });
});

describe('probeUserErrors', () => {
  it('adds the probe to each root payload with userErrors, through fragments, and leaves the original document alone', () => {
    const source = `mutation { a: createLocation(code: "A") { location { id } } refresh { refreshedAt } bump ...More }
      fragment More on Mutation { createLocation(code: "B") { userErrors { message } } }`;
    const document = parse(source);
    const probed = probeUserErrors(schema, document, operationOf(document), PROBE)!;
    expect(probed.responseKeys).toEqual(['a', 'createLocation']);
    expect(probed.alias).toBe(PROBE);
    expect(print(probed.document)).toBe(print(parse(`mutation { a: createLocation(code: "A") { location { id } ${PROBE}: userErrors { code } } refresh { refreshedAt } bump ...More }
      fragment More on Mutation { createLocation(code: "B") { userErrors { message } ${PROBE}: userErrors { code } } }`)));
    expect(probed.operation).toBe(probed.document.definitions[0]);
    expect(print(document)).toBe(print(parse(source)));
  });

  it('is null when no root field returns userErrors', () => {
    const document = parse('mutation { bump refresh { refreshedAt } }');
    expect(probeUserErrors(schema, document, operationOf(document), PROBE)).toBeNull();
  });
});

describe('takeProbedCodes', () => {
  it('collects the probed codes in order and removes the probe from the payloads', () => {
    const data = {
      a: { location: null, [PROBE]: [{ code: 'CONFLICT' }, { code: 'BAD_USER_INPUT' }] },
      b: { location: { id: '1' }, [PROBE]: [] },
      list: [{ [PROBE]: [{ code: 'NOT_FOUND' }] }],
      c: null,
    };
    expect(takeProbedCodes(data, ['a', 'b', 'list', 'c', 'missing'], PROBE)).toEqual(['CONFLICT', 'BAD_USER_INPUT', 'NOT_FOUND']);
    expect(data).toEqual({ a: { location: null }, b: { location: { id: '1' } }, list: [{}], c: null });
  });

  it('takes codes only from a [{ code: string }] answer, and touches no other key', () => {
    const data = {
      a: { [PROBE]: 'LocationPayload', joineryAuditUserErrors: [{ code: 'FORGED' }] },
      b: { [PROBE]: [{ code: 'CONFLICT' }, { code: 7 }] },
      c: { [PROBE]: [{ message: 'no code' }] },
      d: { [PROBE]: null },
    };
    expect(takeProbedCodes(data, ['a', 'b', 'c', 'd'], PROBE)).toEqual([]);
    expect(data).toEqual({ a: { joineryAuditUserErrors: [{ code: 'FORGED' }] }, b: {}, c: {}, d: {} });
  });
});
