import { outboxEvent, recordEvents, type OutboxEvent } from '@joinery/core';
import type { InventoryState, Prisma, StockMovementReason, TransferStatus } from './generated/prisma/client';

/** The bus topic for every inventory stock event; one topic keeps a level's events in one order. */
export const STOCK_TOPIC = 'inventory.stock';
/** The bus topic for transfer events. */
export const TRANSFER_TOPIC = 'inventory.transfers';
/** The bus topic for restocked returns. */
export const RETURN_TOPIC = 'inventory.returns';
export const STOCK_CHANGED = 'inventory.stock_changed';
export const LOW_STOCK = 'inventory.low_stock';
export const TRANSFER_CREATED = 'inventory.transfer_created';
export const TRANSFER_SHIPPED = 'inventory.transfer_shipped';
export const TRANSFER_RECEIVED = 'inventory.transfer_received';
export const TRANSFER_CANCELLED = 'inventory.transfer_cancelled';
export const RETURN_RESTOCKED = 'inventory.return_restocked';

/** The topic an inventory event is published on. */
export function topicOf(type: string): string {
  if (type.startsWith('inventory.transfer_')) return TRANSFER_TOPIC;
  if (type === RETURN_RESTOCKED) return RETURN_TOPIC;
  return STOCK_TOPIC;
}

/** The quantities of a level, as stored (available is derived). */
export interface Quantities {
  onHand: number;
  committed: number;
  incoming: number;
  damaged: number;
  reorderPoint: number;
}

export const availableOf = (level: { onHand: number; committed: number; damaged: number }) => level.onHand - level.committed - level.damaged;

/** Payload of `inventory.stock_changed` v1 (docs/events.md); the fields after `reference` were added later, additively. */
export interface StockChangedPayload {
  movementId: string;
  locationId: string;
  sku: string;
  /** Change in on-hand. */
  delta: number;
  onHand: number;
  available: number;
  reorderPoint: number;
  reason: StockMovementReason;
  reference: string | null;
  state: InventoryState;
  committed: number;
  incoming: number;
  damaged: number;
  availableDelta: number;
  actor: string;
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

/** Payload of every `inventory.transfer_*` v1 event (docs/events.md). */
export interface TransferEventPayload {
  transferId: string;
  status: TransferStatus;
  originId: string;
  destinationId: string;
  reference: string | null;
  actor: string;
  lines: { sku: string; quantity: number; receivedQuantity: number | null; damagedQuantity: number | null; shortfall: number | null }[];
  shortfall: number;
}

/** Payload of `inventory.return_restocked` v1 (docs/events.md). */
export interface ReturnRestockedPayload {
  returnId: string;
  orderId: string;
  locationId: string;
  actor: string;
  lines: { sku: string; quantity: number; condition: 'RESTOCK' | 'DAMAGED' }[];
}

/** One level before and after a change, as the transaction that made it saw it. */
export interface LevelChange {
  locationId: string;
  sku: string;
  /** The change's main movement (of `state`); null when only the reorder point changed. */
  movementId: string | null;
  state: InventoryState;
  reason: StockMovementReason;
  reference: string | null;
  actor: string;
  before: Quantities;
  after: Quantities;
}

const isLow = (level: Quantities) => availableOf(level) <= level.reorderPoint;

/** The events a change records: a stock change when it wrote movements, and a low-stock alert when available stock crosses the reorder point. */
export function stockEvents(input: LevelChange): OutboxEvent[] {
  // Ids are compared as text downstream (filters, loaders): always the canonical lower case.
  const change = { ...input, locationId: input.locationId.toLowerCase() };
  const aggregate = `${change.locationId}:${change.sku}`;
  const events: OutboxEvent[] = [];
  if (change.movementId !== null) {
    const payload: StockChangedPayload = {
      movementId: change.movementId,
      locationId: change.locationId,
      sku: change.sku,
      delta: change.after.onHand - change.before.onHand,
      onHand: change.after.onHand,
      available: availableOf(change.after),
      reorderPoint: change.after.reorderPoint,
      reason: change.reason,
      reference: change.reference,
      state: change.state,
      committed: change.after.committed,
      incoming: change.after.incoming,
      damaged: change.after.damaged,
      availableDelta: availableOf(change.after) - availableOf(change.before),
      actor: change.actor,
    };
    events.push(outboxEvent(STOCK_CHANGED, aggregate, payload));
  }
  if (isLow(change.before) !== isLow(change.after)) {
    const payload: LowStockPayload = {
      status: isLow(change.after) ? 'LOW' : 'RESTOCKED',
      locationId: change.locationId,
      sku: change.sku,
      onHand: change.after.onHand,
      available: availableOf(change.after),
      reorderPoint: change.after.reorderPoint,
    };
    events.push(outboxEvent(LOW_STOCK, aggregate, payload));
  }
  return events;
}

export function transferEvent(type: string, payload: TransferEventPayload): OutboxEvent {
  return outboxEvent(type, `transfer:${payload.transferId}`, payload);
}

export function returnRestockedEvent(payload: ReturnRestockedPayload): OutboxEvent {
  return outboxEvent(RETURN_RESTOCKED, `return:${payload.returnId}`, payload);
}

/** Writes the events of `changes` to the outbox in one statement, inside the caller's transaction. */
export function recordStockEvents(tx: Prisma.TransactionClient, changes: LevelChange[]): Promise<void> {
  return recordEvents(tx, changes.flatMap(stockEvents));
}
