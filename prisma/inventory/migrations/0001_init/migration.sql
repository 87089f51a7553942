-- Inventory: locations, products, stock levels and the movement ledger.
-- Unqualified names: the migrator sets search_path to the subgraph's schema.

CREATE TYPE "location_kind" AS ENUM ('STORE', 'WAREHOUSE', 'ONLINE');

CREATE TYPE "stock_movement_reason" AS ENUM ('RECEIVED', 'CORRECTION', 'RECOUNT', 'DAMAGED', 'SHRINKAGE', 'RETURN', 'SALE', 'OTHER');

CREATE TABLE "locations" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "location_kind" NOT NULL,
    "address_line1" TEXT NOT NULL,
    "address_line2" TEXT,
    "city" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "postal_code" TEXT NOT NULL,
    "country" CHAR(2) NOT NULL,
    "timezone" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "locations_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "locations_code_key" ON "locations"("code");

CREATE TABLE "products" (
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "price" DECIMAL(12,2) NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "products_pkey" PRIMARY KEY ("sku"),
    CONSTRAINT "products_price_not_negative" CHECK ("price" >= 0)
);

CREATE INDEX "products_category_sku_idx" ON "products"("category", "sku");

CREATE TABLE "inventory_levels" (
    "location_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "on_hand" INTEGER NOT NULL,
    "reorder_point" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "inventory_levels_pkey" PRIMARY KEY ("location_id", "sku"),
    CONSTRAINT "inventory_levels_on_hand_not_negative" CHECK ("on_hand" >= 0),
    CONSTRAINT "inventory_levels_reorder_point_not_negative" CHECK ("reorder_point" >= 0)
);

CREATE INDEX "inventory_levels_sku_idx" ON "inventory_levels"("sku");

ALTER TABLE "inventory_levels" ADD CONSTRAINT "inventory_levels_location_id_fkey" FOREIGN KEY ("location_id") REFERENCES "locations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "inventory_levels" ADD CONSTRAINT "inventory_levels_sku_fkey" FOREIGN KEY ("sku") REFERENCES "products"("sku") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "stock_movements" (
    "id" BIGSERIAL NOT NULL,
    "location_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "delta" INTEGER NOT NULL,
    "quantity_after" INTEGER NOT NULL,
    "reason" "stock_movement_reason" NOT NULL,
    "reference" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "stock_movements_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "stock_movements_location_id_sku_id_idx" ON "stock_movements"("location_id", "sku", "id");

CREATE INDEX "stock_movements_sku_id_idx" ON "stock_movements"("sku", "id");

CREATE TABLE "idempotency_keys" (
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("operation", "key")
);

CREATE TABLE "sale_allocations" (
    "order_id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    "lines" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sale_allocations_pkey" PRIMARY KEY ("order_id")
);
