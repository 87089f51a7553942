import type { Campaign } from '../generated/prisma/client';
import type { AttributionRequest, AttributionSource, CampaignSummary, CategoryFigures, Comparison, ComparisonRow } from './attribution-reports';

/**
 * One Campaign.performance answer. The figures are read on first use, so a query asking only for
 * `revenue` runs the summary statement and not the category split or the spend sum.
 */
export interface CampaignPerformanceModel {
  campaignId: string;
  request: AttributionRequest;
  source: AttributionSource;
  summary(): Promise<CampaignSummary>;
  categories(): Promise<CategoryFigures[]>;
  /** Null when the caller may not see it. */
  spend(): Promise<string | null>;
  asOf(): Promise<Date>;
}

export interface CampaignComparisonModel extends Omit<Comparison, 'rows'> {
  rows: CampaignComparisonRowModel[];
  request: AttributionRequest;
  source: AttributionSource;
  asOf: Date;
}

export interface CampaignComparisonRowModel extends Omit<ComparisonRow, 'campaignId'> {
  campaign: Campaign;
}

export interface CampaignSpendEntryModel {
  id: string;
  campaignId: string;
  date: string;
  amount: string;
  recordedAt: Date;
}
