-- A milestone counter belongs to one revision of its rule's trigger. A consumer that read a rule
-- before updateAutomationRule changed its trigger may still add its orders after the update has
-- deleted the rule's counters: those orders now land on the old revision's row, which the new
-- trigger never reads, instead of becoming the first counts of the new one.
ALTER TABLE "automation_milestone_counters" ADD COLUMN "trigger_revision" INTEGER NOT NULL DEFAULT 0;

-- Counters written before this migration were made under the rule's current revision: they keep counting.
UPDATE "automation_milestone_counters" AS counter SET "trigger_revision" = rule."trigger_revision"
FROM "automation_rules" AS rule WHERE rule."id" = counter."rule_id";

ALTER TABLE "automation_milestone_counters" DROP CONSTRAINT "automation_milestone_counters_pkey";

ALTER TABLE "automation_milestone_counters" ADD CONSTRAINT "automation_milestone_counters_pkey" PRIMARY KEY ("rule_id", "trigger_revision", "period_start");
