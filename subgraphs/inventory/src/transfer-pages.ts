/**
 * Pages of a location's transfers (as origin or destination), newest first, with their lines:
 * pages asked for many locations in one request share one query, and so do their counts.
 */
import DataLoader from 'dataloader';
import { groupByArgumentsBesidesLocation } from '@joinery/core';
import { Prisma, type PrismaClient, type TransferStatus } from './generated/prisma/client';
import type { InventoryTransferModel } from './models';

export interface TransferCountKey {
  locationId: string;
  /** Sorted, or null for every status. */
  statuses: TransferStatus[] | null;
}

export interface TransferPageKey extends TransferCountKey {
  take: number;
  /** Transfer id: rows older than it. */
  after: string | null;
}

interface TransferRow {
  location_id: string;
  id: string;
  origin_id: string;
  destination_id: string;
  status: TransferStatus;
  reference: string | null;
  created_by: string;
  created_at: Date;
  shipped_at: Date | null;
  received_at: Date | null;
  cancelled_at: Date | null;
  lines: InventoryTransferModel['lines'];
}

const statusFilter = (statuses: TransferStatus[] | null) => (statuses ? Prisma.sql`AND status = ANY(${statuses}::text[]::transfer_status[])` : Prisma.empty);

const toTransfer = (row: TransferRow): InventoryTransferModel => ({
  id: row.id, originId: row.origin_id, destinationId: row.destination_id, status: row.status, reference: row.reference, createdBy: row.created_by,
  createdAt: row.created_at, shippedAt: row.shipped_at, receivedAt: row.received_at, cancelledAt: row.cancelled_at, lines: row.lines,
});

export function createTransferLoaders(prisma: PrismaClient) {
  return {
    transferPage: new DataLoader<TransferPageKey, InventoryTransferModel[], string>(
      async (keys) => {
        const pages = new Map<string, InventoryTransferModel[]>();
        for (const group of groupByArgumentsBesidesLocation(keys)) {
          const { take, after, statuses } = group[0];
          const where = Prisma.sql`${statusFilter(statuses)} ${after === null ? Prisma.empty : Prisma.sql`AND id < ${after}::uuid`}`;
          // Each side walks its (location, id) index backwards and stops after `take` rows; a
          // transfer's origin and destination differ, so the two sides never share a row.
          const rows = await prisma.$queryRaw<TransferRow[]>`
            SELECT wanted.location_id::text AS location_id, transfer.id::text AS id, transfer.origin_id::text AS origin_id,
                   transfer.destination_id::text AS destination_id, transfer.status::text AS status, transfer.reference, transfer.created_by,
                   transfer.created_at, transfer.shipped_at, transfer.received_at, transfer.cancelled_at,
                   COALESCE((SELECT jsonb_agg(jsonb_build_object('transferId', line.transfer_id::text, 'sku', line.sku, 'quantity', line.quantity,
                               'receivedQuantity', line.received_quantity, 'damagedQuantity', line.damaged_quantity, 'shortfall', line.shortfall) ORDER BY line.sku)
                             FROM inventory_transfer_lines AS line WHERE line.transfer_id = transfer.id), '[]'::jsonb) AS lines
            FROM unnest(${group.map((key) => key.locationId)}::uuid[]) AS wanted(location_id)
            CROSS JOIN LATERAL (
              SELECT * FROM (
                (SELECT * FROM inventory_transfers WHERE origin_id = wanted.location_id ${where} ORDER BY id DESC LIMIT ${take})
                UNION ALL
                (SELECT * FROM inventory_transfers WHERE destination_id = wanted.location_id ${where} ORDER BY id DESC LIMIT ${take})
              ) AS either ORDER BY id DESC LIMIT ${take}
            ) AS transfer
            ORDER BY wanted.location_id, transfer.id DESC`;
          for (const key of group) pages.set(JSON.stringify(key), []);
          for (const row of rows) pages.get(JSON.stringify({ ...group[0], locationId: row.location_id }))!.push(toTransfer(row));
        }
        return keys.map((key) => pages.get(JSON.stringify(key)) ?? []);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    transferCount: new DataLoader<TransferCountKey, number, string>(
      async (keys) => {
        const counts = new Map<string, number>();
        for (const group of groupByArgumentsBesidesLocation(keys)) {
          const rows = await prisma.$queryRaw<{ location_id: string; count: number }[]>`
            SELECT wanted.location_id::text AS location_id,
                   (SELECT count(*)::int FROM inventory_transfers WHERE (origin_id = wanted.location_id OR destination_id = wanted.location_id) ${statusFilter(group[0].statuses)}) AS count
            FROM unnest(${group.map((key) => key.locationId)}::uuid[]) AS wanted(location_id)`;
          for (const row of rows) counts.set(JSON.stringify({ ...group[0], locationId: row.location_id }), row.count);
        }
        return keys.map((key) => counts.get(JSON.stringify(key)) ?? 0);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
  };
}

export type TransferLoaders = ReturnType<typeof createTransferLoaders>;
