import { uuidv7 } from '@joinery/core';
import type { Prisma, StockMovementReason } from './generated/prisma/client';

/** The bus topic for every inventory stock event; one topic keeps a level's events in one order. */
export const STOCK_TOPIC = 'inventory.stock';
export const STOCK_CHANGED = 'inventory.stock_changed';
export const LOW_STOCK = 'inventory.low_stock';

/** Payload of `inventory.stock_changed` v1 (docs/events.md). */
export interface StockChangedPayload {
  movementId: string;
  locationId: string;
  sku: string;
  delta: number;
  onHand: number;
  available: number;
  reorderPoint: number;
  reason: StockMovementReason;
  reference: string | null;
}

export type LowStockStatus = 'LOW' | 'RESTOCKED';

/** Payload of `inventory.low_stock` v1 (docs/events.md). */
export interface LowStockPayload {
  status: LowStockStatus;
  locationId: string;
  sku: string;
  onHand: number;
  available: number;
  reorderPoint: number;
}

/** One level before and after a change, as the transaction that made it saw it. */
export interface LevelChange {
  locationId: string;
  sku: string;
  /** Null when only the reorder point changed. */
  movementId: string | null;
  reason: StockMovementReason;
  reference: string | null;
  before: { onHand: number; reorderPoint: number };
  after: { onHand: number; reorderPoint: number };
}

const isLow = (level: { onHand: number; reorderPoint: number }) => level.onHand <= level.reorderPoint;

interface OutboxInsert {
  id: string;
  type: string;
  aggregate: string;
  payload: StockChangedPayload | LowStockPayload;
}

/** The events a change records: a stock change for every movement, and a low-stock alert when it crosses the reorder point. */
export function stockEvents(input: LevelChange): OutboxInsert[] {
  // Ids are compared as text downstream (filters, loaders): always the canonical lower case.
  const change = { ...input, locationId: input.locationId.toLowerCase() };
  const aggregate = `${change.locationId}:${change.sku}`;
  const events: OutboxInsert[] = [];
  if (change.movementId !== null) {
    events.push({
      id: uuidv7(),
      type: STOCK_CHANGED,
      aggregate,
      payload: {
        movementId: change.movementId,
        locationId: change.locationId,
        sku: change.sku,
        delta: change.after.onHand - change.before.onHand,
        onHand: change.after.onHand,
        available: change.after.onHand,
        reorderPoint: change.after.reorderPoint,
        reason: change.reason,
        reference: change.reference,
      },
    });
  }
  if (isLow(change.before) !== isLow(change.after)) {
    events.push({
      id: uuidv7(),
      type: LOW_STOCK,
      aggregate,
      payload: {
        status: isLow(change.after) ? 'LOW' : 'RESTOCKED',
        locationId: change.locationId,
        sku: change.sku,
        onHand: change.after.onHand,
        available: change.after.onHand,
        reorderPoint: change.after.reorderPoint,
      },
    });
  }
  return events;
}

/** Writes the events of `changes` to the outbox in one statement, inside the caller's transaction. */
export async function recordStockEvents(tx: Prisma.TransactionClient, changes: LevelChange[]): Promise<void> {
  const events = changes.flatMap(stockEvents);
  if (!events.length) return;
  await tx.$executeRaw`
    INSERT INTO outbox_events (id, type, aggregate, payload)
    SELECT event.id, event.type, event.aggregate, event.payload
    FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb) AS event(id uuid, type text, aggregate text, payload jsonb)`;
}
