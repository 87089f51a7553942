-- A return whose goods inventory fails to take back with an error other than an outage (a bug or a
-- contract mismatch there) is retried by the recovery sweep a bounded number of times, then held
-- PENDING for a person (docs/sales-returns in README): these record how often it failed, and why.
ALTER TABLE "sales_returns" ADD COLUMN "restock_attempts" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "sales_returns" ADD COLUMN "last_restock_error" TEXT;
