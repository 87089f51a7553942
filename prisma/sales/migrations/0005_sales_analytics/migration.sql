-- Sales analytics (salesReport): what a report groups by is snapshotted on the order when it is
-- sold, and daily rollups are kept in the statement that confirms an order.

-- The location's IANA time zone when the order was recorded: its local day, week and month in
-- reports. Rows older than this migration did not record it and get 'UTC'; the default also keeps
-- bulk loaders that predate the column working (they should set it: packages/demo-data does).
ALTER TABLE "sales_orders" ADD COLUMN "location_timezone" TEXT NOT NULL DEFAULT 'UTC';

-- The product's category when it was sold; 'uncategorized' for lines older than this migration.
ALTER TABLE "sales_order_lines" ADD COLUMN "category" TEXT NOT NULL DEFAULT 'uncategorized';

-- Copied from the order, like location_id and ordered_at, so reports over lines need no join.
ALTER TABLE "sales_order_lines" ADD COLUMN "location_timezone" TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE "sales_order_lines" ADD COLUMN "campaign_id" UUID;
UPDATE "sales_order_lines" AS l SET "campaign_id" = o."campaign_id"
FROM "sales_orders" AS o WHERE o."id" = l."order_id" AND o."campaign_id" IS NOT NULL;

-- Reports by category read lines by category and time.
CREATE INDEX "sales_order_lines_category_ordered_at_idx" ON "sales_order_lines"("category", "ordered_at");

-- Reports by location over order lines.
CREATE INDEX "sales_order_lines_location_id_ordered_at_idx" ON "sales_order_lines"("location_id", "ordered_at");

-- Reports over order lines grouped by CATEGORY or PRODUCT with no location or category filter
-- read one period of lines, instead of scanning them all.
CREATE INDEX "sales_order_lines_ordered_at_idx" ON "sales_order_lines"("ordered_at");

-- Confirmed orders per location and local day (in the time zone the orders recorded), maintained
-- in the statement that confirms an order, so it is exact and as fresh as the orders. A report
-- reads it for whole local days and the orders themselves for the partial first and last days.
-- The time zone is part of the key: if a location's time zone changes, its days before and after
-- the change stay apart and each is whole in its own zone.
CREATE TABLE "sales_daily_rollups" (
    "location_id" UUID NOT NULL,
    "local_date" DATE NOT NULL,
    "timezone" TEXT NOT NULL,
    "order_count" INTEGER NOT NULL,
    "unit_count" INTEGER NOT NULL,
    "revenue" DECIMAL(16,2) NOT NULL,
    "discount" DECIMAL(16,2) NOT NULL,
    CONSTRAINT "sales_daily_rollups_pkey" PRIMARY KEY ("location_id", "local_date", "timezone")
);

CREATE INDEX "sales_daily_rollups_local_date_idx" ON "sales_daily_rollups"("local_date");

-- The same for orders that carry a campaign, per campaign: reports filtered by campaign read this,
-- the others read the smaller table above (one row per location and day whatever the campaigns).
CREATE TABLE "sales_daily_campaign_rollups" (
    "campaign_id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    "local_date" DATE NOT NULL,
    "timezone" TEXT NOT NULL,
    "order_count" INTEGER NOT NULL,
    "unit_count" INTEGER NOT NULL,
    "revenue" DECIMAL(16,2) NOT NULL,
    "discount" DECIMAL(16,2) NOT NULL,
    CONSTRAINT "sales_daily_campaign_rollups_pkey" PRIMARY KEY ("campaign_id", "local_date", "location_id", "timezone")
);

-- Orders confirmed before this migration.
INSERT INTO "sales_daily_rollups" ("location_id", "local_date", "timezone", "order_count", "unit_count", "revenue", "discount")
SELECT "location_id", ("ordered_at" AT TIME ZONE "location_timezone")::date, "location_timezone", count(*), sum("unit_count"), sum("total_amount"), sum("discount_total")
FROM "sales_orders" WHERE "status" = 'CONFIRMED'
GROUP BY 1, 2, 3;

INSERT INTO "sales_daily_campaign_rollups" ("campaign_id", "location_id", "local_date", "timezone", "order_count", "unit_count", "revenue", "discount")
SELECT "campaign_id", "location_id", ("ordered_at" AT TIME ZONE "location_timezone")::date, "location_timezone", count(*), sum("unit_count"), sum("total_amount"), sum("discount_total")
FROM "sales_orders" WHERE "status" = 'CONFIRMED' AND "campaign_id" IS NOT NULL
GROUP BY 1, 2, 3, 4;
