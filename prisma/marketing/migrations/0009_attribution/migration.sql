-- Campaign attribution (docs/attribution.md): each order's credits under the six models for the
-- default parameters (lookback 30 days, half-life 7 days), a daily rollup of them, their split by
-- product category, and campaign spend. Derived from order facts and touchpoints by the
-- `marketing.attribution` consumer; rebuildAttribution() recomputes them all.

CREATE TYPE "attribution_model" AS ENUM ('LAST_TOUCH', 'FIRST_TOUCH', 'LINEAR', 'TIME_DECAY', 'POSITION_BASED', 'LAST_NON_DIRECT');

-- One order's share for one campaign (campaign_id NULL: the unattributed, direct share) under one
-- model. Only shares with a weight above 0; an order's revenue column sums exactly to its total.
-- The order's place and time are copied so reports read this table alone. No foreign key to the
-- order: these rows are replaced wholesale by the consumer and rebuildAttribution, and millions of
-- checks would slow the rebuild.
CREATE TABLE "attribution_credits" (
    "id" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "model" "attribution_model" NOT NULL,
    "campaign_id" UUID,
    "weight" DECIMAL(21,20) NOT NULL,
    "revenue" DECIMAL(14,2) NOT NULL,
    "ordered_at" TIMESTAMPTZ(3) NOT NULL,
    "location_id" UUID NOT NULL,
    "location_timezone" TEXT NOT NULL,
    "local_date" DATE NOT NULL,
    "unit_count" INTEGER NOT NULL,

    CONSTRAINT "attribution_credits_pkey" PRIMARY KEY ("id")
);

-- NULLS NOT DISTINCT: one unattributed row per order and model too.
CREATE UNIQUE INDEX "attribution_credits_order_id_model_campaign_id_key" ON "attribution_credits"("order_id", "model", "campaign_id") NULLS NOT DISTINCT;
-- One campaign's credits in a period (Campaign.performance), and every campaign's at the edges of a period (comparison).
CREATE INDEX "attribution_credits_model_campaign_id_ordered_at_idx" ON "attribution_credits"("model", "campaign_id", "ordered_at");
CREATE INDEX "attribution_credits_model_ordered_at_idx" ON "attribution_credits"("model", "ordered_at");

-- A campaign's credit in one order split over the order's product categories by line_total share.
CREATE TABLE "attribution_category_credits" (
    "order_id" UUID NOT NULL,
    "model" "attribution_model" NOT NULL,
    "campaign_id" UUID NOT NULL,
    "category" TEXT NOT NULL,
    "revenue" DECIMAL(14,2) NOT NULL,
    "units" INTEGER NOT NULL,
    "ordered_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "attribution_category_credits_pkey" PRIMARY KEY ("order_id", "model", "campaign_id", "category")
);

CREATE INDEX "attribution_category_credits_model_campaign_id_ordered_at_idx" ON "attribution_category_credits"("model", "campaign_id", "ordered_at");

-- attribution_credits summed per (model, campaign, location, the order's local day). Kept by
-- adding and subtracting as credits change, in the transaction that changes them.
CREATE TABLE "attribution_daily" (
    "id" BIGSERIAL NOT NULL,
    "model" "attribution_model" NOT NULL,
    "campaign_id" UUID,
    "location_id" UUID NOT NULL,
    "local_date" DATE NOT NULL,
    -- The zone local_date is in: the edges of a from/to period are cut in it.
    "location_timezone" TEXT NOT NULL,
    "order_count" INTEGER NOT NULL,
    "units" INTEGER NOT NULL,
    "conversions" DECIMAL(30,20) NOT NULL,
    "revenue" DECIMAL(16,2) NOT NULL,

    CONSTRAINT "attribution_daily_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "attribution_daily_model_campaign_id_location_id_local_date_key" ON "attribution_daily"("model", "campaign_id", "location_id", "local_date") NULLS NOT DISTINCT;
CREATE INDEX "attribution_daily_model_local_date_idx" ON "attribution_daily"("model", "local_date");

-- When the consumer last changed credits: how fresh ROLLUP figures are (one row).
CREATE TABLE "attribution_freshness" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "attribution_freshness_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "attribution_freshness_single_row" CHECK ("id" = 1)
);

-- What a campaign cost on one day (recordCampaignSpend; its idempotency key is in idempotency_keys).
-- A day's spend is the sum of its entries.
CREATE TABLE "campaign_spend_entries" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "spend_date" DATE NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaign_spend_entries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "campaign_spend_entries_amount_not_negative" CHECK ("amount" >= 0),
    CONSTRAINT "campaign_spend_entries_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE
);

CREATE INDEX "campaign_spend_entries_campaign_id_spend_date_idx" ON "campaign_spend_entries"("campaign_id", "spend_date");
CREATE INDEX "campaign_spend_entries_spend_date_idx" ON "campaign_spend_entries"("spend_date");
