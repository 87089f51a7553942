/**
 * Returns restocked for the sales subgraph: a return's goods go back on hand at a location
 * (RESTOCK as available, DAMAGED as damaged), all lines or none, once per return id.
 */
import { DomainError, InputErrors, isUuid, recordEvents, userError, type UserError } from '@joinery/core';
import type { PrismaClient } from './generated/prisma/client';
import { inTransaction } from './idempotency';
import type { Loaders } from './loaders';
import { returnRestockedEvent } from './stock-events';
import { applyLevelChanges, lockLevels, type LevelChangeRequest } from './stock-ledger';
import { checkLines, requireLocation } from './stock-rules';

export type ReturnCondition = 'RESTOCK' | 'DAMAGED';

export interface RestockReturnInput {
  returnId: string;
  orderId: string;
  locationId: string;
  lines: { sku: string; quantity: number; condition: ReturnCondition }[];
}

export class ReturnsService {
  constructor(private readonly prisma: PrismaClient, private readonly loaders: Loaders, private readonly actor: string) {}

  /** Puts a return's goods back; a repeat call for the same return changes nothing, one with other lines is CONFLICT. */
  async restock(input: RestockReturnInput): Promise<{ lines: number }> {
    const errors = new InputErrors();
    if (!isUuid(input.returnId)) errors.add(['input', 'returnId'], `returnId ${JSON.stringify(input.returnId)} is not a UUID`);
    if (!isUuid(input.orderId)) errors.add(['input', 'orderId'], `orderId ${JSON.stringify(input.orderId)} is not a UUID`);
    checkLines(errors, input.lines, 'return');
    errors.throwIfAny();
    await requireLocation(this.loaders, input.locationId, ['input', 'locationId']);
    const returnId = input.returnId.toLowerCase();
    const orderId = input.orderId.toLowerCase();
    const locationId = input.locationId.toLowerCase();
    const lines = [...input.lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)).map(({ sku, quantity, condition }) => ({ sku, quantity, condition }));

    return inTransaction(this.prisma, async (tx) => {
      // Claimed first: a repeat call waits here for the first to commit (then finds it) or roll back.
      const claimed = await tx.$queryRaw<{ return_id: string }[]>`
        INSERT INTO return_restocks (return_id, order_id, location_id, lines)
        VALUES (${returnId}::uuid, ${orderId}::uuid, ${locationId}::uuid, ${JSON.stringify(lines)}::jsonb)
        ON CONFLICT (return_id) DO NOTHING RETURNING return_id`;
      if (!claimed.length) {
        const [seen] = await tx.$queryRaw<{ same: boolean }[]>`
          SELECT order_id = ${orderId}::uuid AND location_id = ${locationId}::uuid AND lines = ${JSON.stringify(lines)}::jsonb AS same
          FROM return_restocks WHERE return_id = ${returnId}::uuid`;
        if (!seen.same) throw new DomainError(userError('CONFLICT', `Return ${returnId} was already restocked with other lines, order or location`, ['input', 'returnId']));
        return { lines: lines.length };
      }

      const known = new Set((await tx.$queryRaw<{ sku: string }[]>`SELECT sku FROM products WHERE sku = ANY(${lines.map((line) => line.sku)}::text[])`).map((row) => row.sku));
      const problems: UserError[] = [];
      input.lines.forEach((line, index) => {
        if (!known.has(line.sku)) problems.push(userError('NOT_FOUND', `No product with sku ${line.sku}`, ['input', 'lines', String(index), 'sku']));
      });
      if (problems.length) throw new DomainError(problems);

      // The level may not exist yet: goods can come back to a location that never stocked them.
      const locked = await lockLevels(tx, lines.map((line) => ({ locationId, sku: line.sku })), { create: true });
      await applyLevelChanges(tx, locked, lines.map((line): LevelChangeRequest => ({
        locationId, sku: line.sku, reference: returnId, main: line.condition === 'DAMAGED' ? 'DAMAGED' : 'AVAILABLE',
        field: ['input', 'lines', String(input.lines.findIndex((given) => given.sku === line.sku)), 'quantity'],
        moves: [
          { state: 'AVAILABLE', delta: line.quantity, reason: 'RETURN' },
          ...(line.condition === 'DAMAGED' ? [{ state: 'DAMAGED' as const, delta: line.quantity, reason: 'RETURN' as const }] : []),
        ],
      })), this.actor);
      await recordEvents(tx, [returnRestockedEvent({ returnId, orderId, locationId, actor: this.actor, lines })]);
      return { lines: lines.length };
    });
  }
}
