import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen';

const ROOT = resolve(import.meta.dirname, '..');

describe('generated resolver types', () => {
  it('are up to date with each subgraph schema (run `npm run codegen` if not)', async () => {
    const outputs = (await generate({ ...config, cwd: ROOT, silent: true }, false)) as { filename: string; content: string }[];
    expect(outputs.length).toBe(3);
    for (const output of outputs) {
      expect(readFileSync(resolve(ROOT, output.filename), 'utf8'), output.filename).toBe(output.content);
    }
  }, 60_000);
});
