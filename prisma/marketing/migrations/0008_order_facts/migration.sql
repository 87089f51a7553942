-- What marketing keeps of each confirmed order, from `sales.order_confirmed` (and the refunds of
-- `sales.order_returned`): attribution and customer segments read these, never sales' tables.
-- Filled by the `marketing.attribution` consumer; rebuilt by replay.
CREATE TABLE "marketing_orders" (
    "order_id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    -- IANA zone of the location when the order was placed: days and weeks of reports follow it.
    "location_timezone" TEXT NOT NULL,
    "customer_id" TEXT,
    "campaign_id" UUID,
    "ordered_at" TIMESTAMPTZ(3) NOT NULL,
    "total_amount" DECIMAL(14,2) NOT NULL,
    "discount_total" DECIMAL(14,2) NOT NULL,
    "unit_count" INTEGER NOT NULL,
    "returned_amount" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "marketing_orders_pkey" PRIMARY KEY ("order_id")
);

CREATE INDEX "marketing_orders_customer_id_ordered_at_idx" ON "marketing_orders"("customer_id", "ordered_at");
CREATE INDEX "marketing_orders_location_id_ordered_at_idx" ON "marketing_orders"("location_id", "ordered_at");
CREATE INDEX "marketing_orders_campaign_id_ordered_at_idx" ON "marketing_orders"("campaign_id", "ordered_at");
CREATE INDEX "marketing_orders_ordered_at_idx" ON "marketing_orders"("ordered_at");

CREATE TABLE "marketing_order_lines" (
    "order_id" UUID NOT NULL,
    "line_number" INTEGER NOT NULL,
    "sku" TEXT NOT NULL,
    -- The product's category when it was sold ('uncategorized' for events that did not carry one).
    "category" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "line_total" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "marketing_order_lines_pkey" PRIMARY KEY ("order_id", "line_number"),
    CONSTRAINT "marketing_order_lines_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "marketing_orders"("order_id") ON DELETE CASCADE
);
