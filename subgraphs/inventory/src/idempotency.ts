import { DomainError, requestHash, userError } from '@joinery/core';
import { Prisma, type PrismaClient } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

export function isForeignKeyViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2003') return true;
    return (error.meta as { code?: string } | undefined)?.code === '23503' || /foreign key/i.test(error.message);
  }
  return false;
}

export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2002') return true;
    if (error.code === 'P2010') return String((error.meta as { code?: string } | undefined)?.code) === '23505' || /unique/i.test(error.message);
  }
  return false;
}

/** Runs `run` in a transaction, again (at most twice more) when it lost a race on a unique key. */
export async function inTransaction<T>(prisma: PrismaClient, run: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await prisma.$transaction(run);
    } catch (error) {
      if (attempt < 2 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

/**
 * Runs a change once per idempotency key: the key and the change commit together, a replay
 * returns what the first call returned (a JSON value), and the same key with another request is
 * refused with CONFLICT. `request` is what the key is matched on: the input in canonical form
 * (UUIDs in lower case, values equal to their defaults left out, lines in SKU order), so a retry
 * that spells the same request differently still matches. The key is claimed before the change
 * runs, so a concurrent repeat waits for the first to commit (and then answers as it did) or roll
 * back (and then runs in its place). Without a key, just runs the change in a transaction.
 */
export function runIdempotent<T>(prisma: PrismaClient, operation: string, key: string | null | undefined, request: object, run: (tx: Tx) => Promise<T>): Promise<T> {
  if (!key) return prisma.$transaction(run);
  const hash = requestHash(request);
  return inTransaction(prisma, async (tx) => {
    const claimed = await tx.$queryRaw<{ key: string }[]>`
      INSERT INTO idempotency_keys (operation, key, request_hash, response) VALUES (${operation}, ${key}, ${hash}, 'null'::jsonb)
      ON CONFLICT (operation, key) DO NOTHING RETURNING key`;
    if (!claimed.length) {
      const [seen] = await tx.$queryRaw<{ request_hash: string; response: T }[]>`
        SELECT request_hash, response FROM idempotency_keys WHERE operation = ${operation} AND key = ${key}`;
      if (seen.request_hash !== hash) {
        throw new DomainError(userError('CONFLICT', `idempotencyKey ${JSON.stringify(key)} was already used for a different ${operation} request`, ['input', 'idempotencyKey']));
      }
      return seen.response;
    }
    const result = await run(tx);
    await tx.$executeRaw`UPDATE idempotency_keys SET response = ${JSON.stringify(result)}::jsonb WHERE operation = ${operation} AND key = ${key}`;
    return result;
  });
}

/** `value`, or undefined when it is its default: a request hashes the same whether a default was spelled out or not. */
export function unlessDefault<T>(value: T | null | undefined, fallback: T): T | undefined {
  return value == null || value === fallback ? undefined : value;
}
