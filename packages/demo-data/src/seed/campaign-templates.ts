import type { CampaignChannel, Category, Region } from './model';

export interface CampaignTemplate {
  /** `{year}` is replaced by the start year. */
  name: string;
  channel: CampaignChannel;
  /** Targets this category's bestsellers; every product when absent. */
  category?: Category;
  /** Every location when absent. */
  scope?: 'stores' | 'online' | Region;
  discountPercent: number;
}

/** Campaigns a furniture retailer runs, by the UTC month they start in. */
export const TEMPLATES_BY_MONTH: readonly (readonly CampaignTemplate[])[] = [
  [
    { name: 'January Sale {year}', channel: 'EMAIL', discountPercent: 20 },
    { name: 'New Year Home Office', channel: 'SEARCH', category: 'storage', scope: 'online', discountPercent: 10 },
  ],
  [
    { name: 'Winter Sofa Event', channel: 'DISPLAY', category: 'sofas', discountPercent: 15 },
    { name: 'Bedroom Week', channel: 'SOCIAL', category: 'beds', discountPercent: 10 },
  ],
  [
    { name: 'Spring Refresh', channel: 'SOCIAL', discountPercent: 10 },
    { name: 'Rug Days', channel: 'EMAIL', category: 'rugs', discountPercent: 20 },
  ],
  [
    { name: 'Easter Dining Days', channel: 'PRINT', category: 'tables', discountPercent: 10 },
    { name: 'Outdoor Season Preview', channel: 'SOCIAL', category: 'outdoor', discountPercent: 10 },
  ],
  [
    { name: 'Garden Party Week', channel: 'DISPLAY', category: 'outdoor', discountPercent: 15 },
    { name: 'Nordic Design Days', channel: 'PRINT', scope: 'Nordics', discountPercent: 10 },
  ],
  [
    { name: 'Midsummer Sale', channel: 'EMAIL', scope: 'Nordics', discountPercent: 15 },
    { name: 'Summer Terrace Event', channel: 'SEARCH', category: 'outdoor', discountPercent: 15 },
  ],
  [
    { name: 'Summer Sale {year}', channel: 'EMAIL', discountPercent: 20 },
    { name: 'Outdoor Clearance', channel: 'SMS', category: 'outdoor', discountPercent: 30 },
  ],
  [
    { name: 'Home Office Week', channel: 'SEARCH', category: 'chairs', discountPercent: 10 },
    { name: 'Storage Solutions Week', channel: 'AFFILIATE', category: 'storage', discountPercent: 15 },
  ],
  [
    { name: 'Autumn Sofa Event', channel: 'DISPLAY', category: 'sofas', discountPercent: 15 },
    { name: 'Dining Room Days', channel: 'IN_STORE', category: 'tables', scope: 'stores', discountPercent: 10 },
  ],
  [
    { name: 'Cosy Lighting Week', channel: 'SOCIAL', category: 'lighting', discountPercent: 20 },
    { name: 'Autumn Bedroom Event', channel: 'EMAIL', category: 'beds', discountPercent: 15 },
  ],
  [
    { name: 'Black Friday {year}', channel: 'EMAIL', discountPercent: 25 },
    { name: 'Cyber Monday {year}', channel: 'AFFILIATE', scope: 'online', discountPercent: 20 },
  ],
  [
    { name: 'Holiday Gifting', channel: 'SOCIAL', category: 'lighting', discountPercent: 15 },
    { name: 'Christmas Table Event', channel: 'IN_STORE', category: 'tables', scope: 'stores', discountPercent: 10 },
    { name: 'Boxing Day Sale {year}', channel: 'EMAIL', scope: 'UK & Ireland', discountPercent: 25 },
  ],
];

/** Runs without an end date, as search advertising on the brand name does. */
export const ALWAYS_ON: CampaignTemplate = { name: 'Brand Search (always on)', channel: 'SEARCH', discountPercent: 0 };

/** Budget range per channel, whole euros. */
export const BUDGETS: Record<CampaignChannel, [number, number]> = {
  EMAIL: [2_000, 15_000], SOCIAL: [10_000, 80_000], SEARCH: [20_000, 150_000], DISPLAY: [15_000, 100_000],
  PRINT: [10_000, 60_000], IN_STORE: [5_000, 30_000], SMS: [1_000, 8_000], AFFILIATE: [5_000, 40_000],
};
