-- Sales: orders and their lines.
-- Unqualified names: the migrator sets search_path to the subgraph's schema.

CREATE TYPE "order_status" AS ENUM ('PENDING', 'CONFIRMED', 'REJECTED');

CREATE TYPE "payment_method" AS ENUM ('CARD', 'CASH', 'GIFT_CARD', 'INVOICE', 'FINANCING', 'MOBILE_WALLET');

CREATE TABLE "sales_orders" (
    "id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    "status" "order_status" NOT NULL,
    "ordered_at" TIMESTAMPTZ(3) NOT NULL,
    "customer_id" TEXT,
    "campaign_id" UUID,
    "payment_method" "payment_method" NOT NULL,
    "subtotal" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "discount_total" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "total_amount" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "unit_count" INTEGER NOT NULL DEFAULT 0,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "request" JSONB NOT NULL,
    "rejection" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sales_orders_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "sales_orders_idempotency_key_key" ON "sales_orders"("idempotency_key");

CREATE INDEX "sales_orders_location_id_ordered_at_idx" ON "sales_orders"("location_id", "ordered_at");

CREATE INDEX "sales_orders_campaign_id_ordered_at_idx" ON "sales_orders"("campaign_id", "ordered_at");

CREATE INDEX "sales_orders_ordered_at_idx" ON "sales_orders"("ordered_at");

CREATE INDEX "sales_orders_status_created_at_idx" ON "sales_orders"("status", "created_at");

CREATE TABLE "sales_order_lines" (
    "order_id" UUID NOT NULL,
    "line_number" INTEGER NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price" DECIMAL(12,2) NOT NULL,
    "discount" DECIMAL(12,2) NOT NULL DEFAULT 0,
    "line_total" DECIMAL(14,2) NOT NULL,
    "location_id" UUID NOT NULL,
    "ordered_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "sales_order_lines_pkey" PRIMARY KEY ("order_id", "line_number"),
    CONSTRAINT "sales_order_lines_quantity_positive" CHECK ("quantity" > 0)
);

CREATE INDEX "sales_order_lines_sku_ordered_at_idx" ON "sales_order_lines"("sku", "ordered_at");

ALTER TABLE "sales_order_lines" ADD CONSTRAINT "sales_order_lines_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
