-- Named quantities per level (committed, incoming, damaged beside on_hand), transfers between
-- locations, restocked returns, and a ledger that records who moved which quantity.
-- available = on_hand - committed - damaged is what can be sold; the CHECKs make it impossible to
-- take more than that, as on_hand >= 0 always did.

ALTER TABLE "inventory_levels"
    ADD COLUMN "committed" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "incoming" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "damaged" INTEGER NOT NULL DEFAULT 0,
    ADD CONSTRAINT "inventory_levels_committed_not_negative" CHECK ("committed" >= 0),
    ADD CONSTRAINT "inventory_levels_incoming_not_negative" CHECK ("incoming" >= 0),
    ADD CONSTRAINT "inventory_levels_damaged_not_negative" CHECK ("damaged" >= 0),
    ADD CONSTRAINT "inventory_levels_available_not_negative" CHECK ("on_hand" - "committed" - "damaged" >= 0);

-- Which stored quantity a movement changed: AVAILABLE is on_hand (as every movement before this
-- migration was), the others their own column.
CREATE TYPE "inventory_state" AS ENUM ('AVAILABLE', 'COMMITTED', 'INCOMING', 'DAMAGED');

-- ADD VALUE may run inside the migration's transaction (PostgreSQL 12+, PGlite) as long as nothing
-- in the same transaction uses the new values; nothing here does.
ALTER TYPE "stock_movement_reason" ADD VALUE 'RESERVED';
ALTER TYPE "stock_movement_reason" ADD VALUE 'RELEASED';
ALTER TYPE "stock_movement_reason" ADD VALUE 'TRANSFER_OUT';
ALTER TYPE "stock_movement_reason" ADD VALUE 'TRANSFER_IN';
ALTER TYPE "stock_movement_reason" ADD VALUE 'TRANSFER_SHORTFALL';

-- Movements written before actors were recorded (and seeded ones) say 'system'.
ALTER TABLE "stock_movements"
    ADD COLUMN "state" "inventory_state" NOT NULL DEFAULT 'AVAILABLE',
    ADD COLUMN "actor" TEXT NOT NULL DEFAULT 'system';

CREATE INDEX "stock_movements_location_id_id_idx" ON "stock_movements"("location_id", "id");

CREATE TYPE "transfer_status" AS ENUM ('DRAFT', 'SHIPPED', 'RECEIVED', 'CANCELLED');

CREATE TABLE "inventory_transfers" (
    "id" UUID NOT NULL,
    "origin_id" UUID NOT NULL,
    "destination_id" UUID NOT NULL,
    "status" "transfer_status" NOT NULL DEFAULT 'DRAFT',
    "reference" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "shipped_at" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    CONSTRAINT "inventory_transfers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "inventory_transfers_two_locations" CHECK ("origin_id" <> "destination_id")
);

CREATE INDEX "inventory_transfers_origin_id_id_idx" ON "inventory_transfers"("origin_id", "id");
CREATE INDEX "inventory_transfers_destination_id_id_idx" ON "inventory_transfers"("destination_id", "id");

ALTER TABLE "inventory_transfers" ADD CONSTRAINT "inventory_transfers_origin_id_fkey" FOREIGN KEY ("origin_id") REFERENCES "locations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "inventory_transfers" ADD CONSTRAINT "inventory_transfers_destination_id_fkey" FOREIGN KEY ("destination_id") REFERENCES "locations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "inventory_transfer_lines" (
    "transfer_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "received_quantity" INTEGER,
    "damaged_quantity" INTEGER,
    "shortfall" INTEGER,
    CONSTRAINT "inventory_transfer_lines_pkey" PRIMARY KEY ("transfer_id", "sku"),
    CONSTRAINT "inventory_transfer_lines_quantity_positive" CHECK ("quantity" > 0),
    CONSTRAINT "inventory_transfer_lines_receipt_adds_up" CHECK (
        ("received_quantity" IS NULL AND "damaged_quantity" IS NULL AND "shortfall" IS NULL)
        OR ("received_quantity" >= 0 AND "damaged_quantity" >= 0 AND "shortfall" >= 0
            AND "received_quantity" + "damaged_quantity" + "shortfall" = "quantity"))
);

ALTER TABLE "inventory_transfer_lines" ADD CONSTRAINT "inventory_transfer_lines_transfer_id_fkey" FOREIGN KEY ("transfer_id") REFERENCES "inventory_transfers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "inventory_transfer_lines" ADD CONSTRAINT "inventory_transfer_lines_sku_fkey" FOREIGN KEY ("sku") REFERENCES "products"("sku") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Stock a return put back; makes restocking idempotent by return id.
CREATE TABLE "return_restocks" (
    "return_id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    "lines" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "return_restocks_pkey" PRIMARY KEY ("return_id")
);
