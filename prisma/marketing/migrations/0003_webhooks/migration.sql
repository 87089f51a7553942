-- Marketing webhooks: outbound endpoints with their deliveries and every attempt, and inbound
-- engagement sources with the touchpoints they record and the requests they refused.

CREATE TYPE "webhook_provider" AS ENUM ('GENERIC', 'HUBSPOT', 'MAILCHIMP', 'KLAVIYO');

CREATE TYPE "webhook_endpoint_status" AS ENUM ('ENABLED', 'DISABLED');

CREATE TYPE "webhook_delivery_status" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED');

CREATE TYPE "touchpoint_type" AS ENUM ('EMAIL_OPEN', 'EMAIL_CLICK', 'FORM_SUBMISSION', 'AD_CLICK', 'STORE_VISIT');

-- Secrets are kept in clear: they are needed to sign each request. They are never returned after
-- the mutation that made them.
CREATE TABLE "webhook_endpoints" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "provider" "webhook_provider" NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "previous_secret" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "authorization_header" TEXT,
    "status" "webhook_endpoint_status" NOT NULL DEFAULT 'ENABLED',
    "disabled_reason" TEXT,
    "disabled_at" TIMESTAMPTZ(3),
    -- The current run of failed attempts: reset by a success or by re-enabling.
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "failing_since" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- One row per (endpoint, event): the unique key makes a second enqueue of an event a no-op.
-- `body` is the exact JSON sent on every attempt, so a retry carries the bytes first signed.
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "endpoint_id" UUID NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "body" TEXT NOT NULL,
    "status" "webhook_delivery_status" NOT NULL DEFAULT 'PENDING',
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "last_attempt_at" TIMESTAMPTZ(3),
    -- A worker's lease: while it lasts no other worker sends this delivery; once it passes (the
    -- worker died mid-attempt) the delivery is due again.
    "claimed_until" TIMESTAMPTZ(3),
    "claim_token" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "webhook_deliveries_endpoint_id_event_id_key" ON "webhook_deliveries"("endpoint_id", "event_id");

CREATE INDEX "webhook_deliveries_endpoint_id_id_idx" ON "webhook_deliveries"("endpoint_id", "id");

CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

CREATE TABLE "webhook_attempts" (
    "delivery_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "response_status" INTEGER,
    "response_body" TEXT,
    "error" TEXT,
    CONSTRAINT "webhook_attempts_pkey" PRIMARY KEY ("delivery_id", "number"),
    CONSTRAINT "webhook_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "engagement_sources" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "provider" "webhook_provider" NOT NULL,
    "secret" TEXT NOT NULL,
    "previous_secret" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "engagement_sources_pkey" PRIMARY KEY ("id")
);

-- `external_id` is the sender's event id: unique per source, so a resent event is recorded once.
CREATE TABLE "touchpoints" (
    "id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "campaign_id" UUID,
    "type" "touchpoint_type" NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "url" TEXT,
    "utm_source" TEXT,
    "utm_medium" TEXT,
    "utm_campaign" TEXT,
    "utm_term" TEXT,
    "utm_content" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "touchpoints_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "touchpoints_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "engagement_sources"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "touchpoints_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "touchpoints_source_id_external_id_key" ON "touchpoints"("source_id", "external_id");

-- Attribution (issue 5) reads a customer's touchpoints, and a campaign's, in time order.
CREATE INDEX "touchpoints_customer_id_occurred_at_idx" ON "touchpoints"("customer_id", "occurred_at");

CREATE INDEX "touchpoints_campaign_id_occurred_at_idx" ON "touchpoints"("campaign_id", "occurred_at");

CREATE INDEX "touchpoints_occurred_at_id_idx" ON "touchpoints"("occurred_at", "id");

-- Inbound requests refused, for operators: no source row is needed (the id may be unknown).
CREATE TABLE "inbound_webhook_rejections" (
    "id" UUID NOT NULL,
    "source_id" UUID,
    "path" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "body_excerpt" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "inbound_webhook_rejections_pkey" PRIMARY KEY ("id")
);
