import type { LowStockPayload, StockChangedPayload } from './stock-events';
import type { InventoryLevel, InventoryTransfer, InventoryTransferLine, Location, Product, StockMovement } from './generated/prisma/client';

export type { Connection } from '@joinery/core';
export type LocationModel = Location;
export type ProductModel = Product;
export type InventoryLevelModel = InventoryLevel;
export type StockMovementModel = StockMovement;
export type InventoryTransferLineModel = InventoryTransferLine;
/** A transfer with its lines, ordered by SKU. */
export type InventoryTransferModel = InventoryTransfer & { lines: InventoryTransferLine[] };

/** A recorded event as the outbox holds it. */
export interface RecordedEvent<TPayload> {
  id: string;
  occurredAt: Date;
  recordedAt: Date;
  payload: TPayload;
}
export type StockChangeModel = RecordedEvent<StockChangedPayload>;
export type LowStockAlertModel = RecordedEvent<LowStockPayload>;
