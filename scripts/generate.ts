/**
 * Generates what the code needs and git does not keep: each subgraph's Prisma client. Runs before
 * `npm start` and `npm test`, offline: Prisma 7's generate only wants the schema engine binary to
 * exist (it never runs it), so we point it at a stub instead of letting it download one. Skips a
 * client whose schema and Prisma version have not changed since it was last generated.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUBGRAPHS = ['inventory', 'sales', 'marketing'];
const prismaVersion = (createRequire(import.meta.url)('prisma/package.json') as { version: string }).version;

function stubEngine(): string {
  const stub = join(ROOT, 'node_modules/.cache/joinery/no-schema-engine');
  if (!existsSync(stub)) {
    mkdirSync(dirname(stub), { recursive: true });
    writeFileSync(stub, '#!/bin/sh\necho "the schema engine is not used by Joinery: migrations are applied by packages/core/src/db/migrate.ts" >&2\nexit 1\n');
    chmodSync(stub, 0o755);
  }
  return stub;
}

for (const name of SUBGRAPHS) {
  const schema = join(ROOT, 'prisma', name, 'schema.prisma');
  const output = join(ROOT, 'subgraphs', name, 'src/generated/prisma');
  const stamp = join(output, '.schema-hash');
  const hash = createHash('sha256').update(readFileSync(schema)).update(prismaVersion).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && existsSync(join(output, 'client.ts'))) continue;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/prisma/build/index.js'), 'generate', '--schema', schema], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? stubEngine(), PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
  });
  writeFileSync(stamp, hash);
  console.log(`Generated the ${name} Prisma client`);
}
