-- Marketing: campaigns.
-- Unqualified names: the migrator sets search_path to the subgraph's schema.

CREATE TYPE "campaign_channel" AS ENUM ('EMAIL', 'SOCIAL', 'SEARCH', 'DISPLAY', 'PRINT', 'IN_STORE', 'SMS', 'AFFILIATE');

CREATE TYPE "campaign_status" AS ENUM ('DRAFT', 'SCHEDULED', 'ACTIVE', 'PAUSED', 'COMPLETED');

CREATE TABLE "campaigns" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "channel" "campaign_channel" NOT NULL,
    "status" "campaign_status" NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3),
    "budget" DECIMAL(14,2) NOT NULL,
    "target_location_ids" UUID[],
    "target_skus" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "campaigns_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "campaigns_budget_not_negative" CHECK ("budget" >= 0)
);

CREATE INDEX "campaigns_status_starts_at_idx" ON "campaigns"("status", "starts_at");

CREATE TABLE "idempotency_keys" (
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("operation", "key")
);
