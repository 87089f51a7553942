import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, readManifest, SUPERGRAPH_PATH } from './compose';

describe('supergraph composition', () => {
  it('the committed schema/supergraph.graphql is what the subgraphs compose to (run `npm run compose` if not)', () => {
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composeSupergraph());
  });

  it('every subgraph in the manifest has its SDL file', () => {
    expect(readManifest().map((entry) => entry.name)).toEqual(['inventory', 'sales', 'marketing']);
  });

  it('fails when a subgraph change breaks composition', () => {
    const root = resolve(SUPERGRAPH_PATH, '../..');
    const breakSales = (path: string) => {
      const sdl = readFileSync(resolve(root, path), 'utf8');
      // Sales claims Location.name with another type: a field two subgraphs disagree on.
      return path.includes('sales') ? sdl.replace('type Location @key(fields: "id") {\n  id: ID!', 'type Location @key(fields: "id") {\n  id: ID!\n  name: Int') : sdl;
    };
    expect(() => composeSupergraph(readManifest(), breakSales)).toThrow(/composition failed/i);
  });
});
