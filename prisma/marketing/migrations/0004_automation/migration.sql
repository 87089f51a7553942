-- Marketing automation (docs/automation.md): rules a marketer writes, what they fired, the store
-- tasks they created, and the state the engine derives from events to decide when to fire
-- (milestone counters and customer stats; both rebuilt by a replay, see AutomationEngine.reset).

CREATE TYPE "trigger_kind" AS ENUM ('STOCK_AT_OR_BELOW', 'BACK_IN_STOCK', 'SALES_MILESTONE', 'CUSTOMER_ENTERS_SEGMENT');

CREATE TYPE "sales_metric" AS ENUM ('REVENUE', 'UNITS', 'ORDERS');

CREATE TYPE "milestone_period" AS ENUM ('DAY', 'WEEK', 'MONTH');

CREATE TYPE "action_kind" AS ENUM ('SEND_WEBHOOK', 'CREATE_TASK', 'START_CAMPAIGN', 'PAUSE_CAMPAIGN');

CREATE TYPE "store_task_status" AS ENUM ('OPEN', 'DONE');

-- Deleting a rule sets deleted_at: its firings and tasks stay as history and still name it.
-- trigger_revision and active_since change when the trigger does: counting starts again then.
CREATE TABLE "automation_rules" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "trigger_kind" "trigger_kind" NOT NULL,
    "trigger_location_id" UUID,
    "trigger_sku" TEXT,
    "threshold" DECIMAL(14,2),
    "metric" "sales_metric",
    "period" "milestone_period",
    "min_orders" INTEGER,
    "min_lifetime_spend" DECIMAL(14,2),
    "segment_name" TEXT,
    "action_kind" "action_kind" NOT NULL,
    "webhook_endpoint_id" UUID,
    "task_title" TEXT,
    "action_location_id" UUID,
    "campaign_id" UUID,
    "trigger_revision" INTEGER NOT NULL DEFAULT 1,
    "active_since" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "automation_rules_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "automation_rules_threshold_not_negative" CHECK ("threshold" >= 0),
    CONSTRAINT "automation_rules_min_orders_positive" CHECK ("min_orders" > 0),
    CONSTRAINT "automation_rules_min_lifetime_spend_positive" CHECK ("min_lifetime_spend" > 0)
);

CREATE INDEX "automation_rules_trigger_kind_idx" ON "automation_rules"("trigger_kind");

CREATE INDEX "automation_rules_created_at_id_idx" ON "automation_rules"("created_at", "id");

-- One row per time a rule fired. crossing_key names what fired it (a stock event, a period, a
-- customer), so the same crossing can never fire the same rule twice, replays included.
CREATE TABLE "rule_firings" (
    "id" UUID NOT NULL,
    "rule_id" UUID NOT NULL,
    "crossing_key" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "fired_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "detail" JSONB NOT NULL,
    "webhook_delivery_id" UUID,
    CONSTRAINT "rule_firings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rule_firings_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "automation_rules"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "rule_firings_rule_id_crossing_key_key" ON "rule_firings"("rule_id", "crossing_key");

CREATE INDEX "rule_firings_rule_id_fired_at_id_idx" ON "rule_firings"("rule_id", "fired_at", "id");

CREATE TABLE "store_tasks" (
    "id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "detail" TEXT,
    "status" "store_task_status" NOT NULL DEFAULT 'OPEN',
    "rule_id" UUID,
    "firing_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "completed_by" TEXT,
    CONSTRAINT "store_tasks_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "store_tasks_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "automation_rules"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "store_tasks_firing_id_fkey" FOREIGN KEY ("firing_id") REFERENCES "rule_firings"("id") ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "store_tasks_firing_id_key" ON "store_tasks"("firing_id");

CREATE INDEX "store_tasks_location_id_created_at_idx" ON "store_tasks"("location_id", "created_at");

CREATE INDEX "store_tasks_created_at_id_idx" ON "store_tasks"("created_at", "id");

-- Derived from sales.order_confirmed: a SALES_MILESTONE rule's value per period (UTC period start).
CREATE TABLE "automation_milestone_counters" (
    "rule_id" UUID NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "value" DECIMAL(16,2) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "automation_milestone_counters_pkey" PRIMARY KEY ("rule_id", "period_start"),
    CONSTRAINT "automation_milestone_counters_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "automation_rules"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Derived from sales.order_confirmed: what CUSTOMER_ENTERS_SEGMENT rules compare to.
CREATE TABLE "automation_customer_stats" (
    "customer_id" TEXT NOT NULL,
    "order_count" INTEGER NOT NULL,
    "lifetime_spend" DECIMAL(16,2) NOT NULL,
    "first_order_at" TIMESTAMPTZ(3) NOT NULL,
    "last_order_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "automation_customer_stats_pkey" PRIMARY KEY ("customer_id")
);
