-- Customer segments (RFM, docs/analytics.md "Customer segments (RFM)"): a snapshot of every
-- customer's recency / frequency / monetary scores, overall and per location, refreshed by a job
-- from marketing_orders (migration 0008). Readers see one whole snapshot: a refresh replaces the
-- rows in one transaction. Also: RFM segments as automation triggers and as campaign targets.

CREATE TYPE "rfm_segment" AS ENUM ('CHAMPIONS', 'LOYAL', 'POTENTIAL_LOYALIST', 'NEW_CUSTOMERS', 'PROMISING', 'NEED_ATTENTION', 'ABOUT_TO_SLEEP', 'AT_RISK', 'CANNOT_LOSE_THEM', 'HIBERNATING', 'LOST');

-- One row per refresh: the newest is the snapshot customer_rfm holds, and its as_of is the
-- freshness every answer reports.
CREATE TABLE "customer_segment_refreshes" (
    "id" UUID NOT NULL,
    "as_of" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL,
    "customer_count" INTEGER NOT NULL,
    "entry_count" INTEGER NOT NULL,
    "firing_count" INTEGER NOT NULL,
    CONSTRAINT "customer_segment_refreshes_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "customer_segment_refreshes_as_of_idx" ON "customer_segment_refreshes"("as_of");

-- scope: 'overall' (all of a customer's orders) or a location id (that location's orders only,
-- ranked among that location's customers). Keys collate "C": a refresh rewrites every row, and
-- byte-wise comparison keeps its sorts and index inserts cheap (ids have no linguistic order).
CREATE TABLE "customer_rfm" (
    "scope" TEXT COLLATE "C" NOT NULL,
    "customer_id" TEXT COLLATE "C" NOT NULL,
    "refresh_id" UUID NOT NULL,
    "last_order_at" TIMESTAMPTZ(3) NOT NULL,
    "recency_days" INTEGER NOT NULL,
    "frequency" INTEGER NOT NULL,
    "monetary" DECIMAL(16,2) NOT NULL,
    "r_score" INTEGER NOT NULL,
    "f_score" INTEGER NOT NULL,
    "m_score" INTEGER NOT NULL,
    "segment" "rfm_segment" NOT NULL,
    -- as_of of the refresh that first found the customer in this segment (kept while it stays).
    "segment_since" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "customer_rfm_pkey" PRIMARY KEY ("scope", "customer_id")
);

-- Segment reports group one scope by segment; segmentCustomers and campaign audiences page
-- through one scope's segment by customer id.
CREATE INDEX "customer_rfm_scope_segment_customer_id_idx" ON "customer_rfm"("scope", "segment", "customer_id");

-- Per scope and segment, what customerSegments reports: summed once per refresh, so a report
-- reads at most 11 rows instead of grouping every customer of the scope.
CREATE TABLE "customer_segment_stats" (
    "scope" TEXT COLLATE "C" NOT NULL,
    "segment" "rfm_segment" NOT NULL,
    "customer_count" INTEGER NOT NULL,
    "revenue" DECIMAL(18,2) NOT NULL,
    "recency_days_sum" BIGINT NOT NULL,
    "frequency_sum" BIGINT NOT NULL,
    CONSTRAINT "customer_segment_stats_pkey" PRIMARY KEY ("scope", "segment")
);

-- CUSTOMER_ENTERS_SEGMENT on an RFM segment: fires when a refresh finds a customer newly in it
-- (at trigger_location_id's segmentation when set, overall otherwise).
ALTER TABLE "automation_rules" ADD COLUMN "rfm_segment" "rfm_segment";

-- Empty: everyone. A campaign's audience is the customers currently in these segments.
ALTER TABLE "campaigns" ADD COLUMN "target_segments" "rfm_segment"[] DEFAULT '{}';
