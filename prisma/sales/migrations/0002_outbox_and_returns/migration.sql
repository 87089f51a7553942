-- Sales: its outbox (events written in the transaction of the change they record, published after
-- commit by packages/core/src/events/outbox-relay.ts), and returns of confirmed orders.

CREATE TABLE "outbox_events" (
    "seq" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "aggregate" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
    "published_at" TIMESTAMPTZ(3),
    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("seq")
);

CREATE UNIQUE INDEX "outbox_events_id_key" ON "outbox_events"("id");

CREATE INDEX "outbox_events_published_at_seq_idx" ON "outbox_events"("published_at", "seq");

-- Wakes the relay at commit (NOTIFY is delivered only if, and when, the transaction commits).
CREATE FUNCTION "outbox_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_events_notify" AFTER INSERT ON "outbox_events" FOR EACH STATEMENT EXECUTE FUNCTION "outbox_events_notify"();

CREATE TYPE "return_status" AS ENUM ('PENDING', 'COMPLETED', 'REJECTED');

CREATE TYPE "return_condition" AS ENUM ('RESTOCK', 'DAMAGED');

CREATE TABLE "sales_returns" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    "status" "return_status" NOT NULL,
    "refund_total" DECIMAL(14,2) NOT NULL,
    "reason" TEXT,
    "created_by" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "rejection" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sales_returns_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "sales_returns_idempotency_key_key" ON "sales_returns"("idempotency_key");

CREATE INDEX "sales_returns_order_id_idx" ON "sales_returns"("order_id");

CREATE INDEX "sales_returns_status_created_at_idx" ON "sales_returns"("status", "created_at");

ALTER TABLE "sales_returns" ADD CONSTRAINT "sales_returns_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- order_location_id and ordered_at are copied from the order so summaries attribute a refund to
-- the sale it undoes without a join.
CREATE TABLE "sales_return_lines" (
    "return_id" UUID NOT NULL,
    "line_number" INTEGER NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "condition" "return_condition" NOT NULL,
    "refund_amount" DECIMAL(14,2) NOT NULL,
    "order_location_id" UUID NOT NULL,
    "ordered_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "sales_return_lines_pkey" PRIMARY KEY ("return_id", "line_number"),
    CONSTRAINT "sales_return_lines_quantity_positive" CHECK ("quantity" > 0)
);

CREATE INDEX "sales_return_lines_sku_ordered_at_idx" ON "sales_return_lines"("sku", "ordered_at");

CREATE INDEX "sales_return_lines_order_location_id_ordered_at_idx" ON "sales_return_lines"("order_location_id", "ordered_at");

ALTER TABLE "sales_return_lines" ADD CONSTRAINT "sales_return_lines_return_id_fkey" FOREIGN KEY ("return_id") REFERENCES "sales_returns"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
