import { DomainError, requestHash, userError } from '@joinery/core';
import { Prisma, type PrismaClient } from './generated/prisma/client';

/**
 * Creates something at most once per idempotency key: in one transaction, the key's first request
 * is remembered with the id `create` returned. A repeat with the same input returns that id; the
 * same key with other input is a CONFLICT naming the operation. Two first requests racing on one
 * key: the loser's transaction fails on the key's primary key and is retried, finding the winner's.
 */
export async function createOnce(
  prisma: PrismaClient,
  operation: string,
  key: string,
  input: Record<string, unknown>,
  create: (tx: Prisma.TransactionClient) => Promise<{ id: string }>,
): Promise<string> {
  const { idempotencyKey: _omitted, ...request } = input;
  const hash = requestHash(request);
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await prisma.$transaction(async (tx) => {
        const seen = await tx.idempotencyKey.findUnique({ where: { operation_key: { operation, key } } });
        if (seen) {
          if (seen.requestHash !== hash) throw new DomainError(userError('CONFLICT', `idempotencyKey ${JSON.stringify(key)} was already used for a different ${operation} request`, ['input', 'idempotencyKey']));
          return (seen.response as { id: string }).id;
        }
        const created = await create(tx);
        await tx.idempotencyKey.create({ data: { operation, key, requestHash: hash, response: { id: created.id } } });
        return created.id;
      });
    } catch (error) {
      if (attempt < 2 && error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') continue;
      throw error;
    }
  }
}
