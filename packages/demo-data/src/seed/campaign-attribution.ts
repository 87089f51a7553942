import { HOUR_MS } from './calendar';
import type { Campaign, Location } from './model';
import type { TradingDay } from './order-calendar';
import { dayFactor } from './trading-hours';

/** Share of all orders that carry a campaign id. */
const CAMPAIGN_SHARE = 0.15;

interface Running {
  campaign: Campaign;
  start: number;
  end: number;
  /** null: every location. */
  locations: Set<string> | null;
  /** null: every product. */
  skus: Set<string> | null;
}

/**
 * Which campaign, if any, an order is attributed to: only campaigns that had started (not drafts
 * or scheduled ones), whose window holds the order time and that target the order's location.
 */
export class CampaignAttribution {
  private readonly running: Running[];
  private readonly skusById: Map<string, Set<string> | null>;
  /** Chance that an order with eligible campaigns takes one, so that about CAMPAIGN_SHARE do overall. */
  readonly uptake: number;

  constructor(campaigns: readonly Campaign[], days: readonly TradingDay[], outlets: readonly Location[]) {
    this.running = campaigns
      .filter((campaign) => campaign.status === 'ACTIVE' || campaign.status === 'COMPLETED')
      .map((campaign) => ({
        campaign,
        start: campaign.startsAt.getTime(),
        end: campaign.endsAt ? campaign.endsAt.getTime() : Number.POSITIVE_INFINITY,
        locations: campaign.targetLocationIds.length ? new Set(campaign.targetLocationIds) : null,
        skus: campaign.targetSkus.length ? new Set(campaign.targetSkus) : null,
      }));
    this.skusById = new Map(this.running.map((entry) => [entry.campaign.id, entry.skus]));
    let covered = 0;
    let total = 0;
    for (const day of days) {
      // Mid-afternoon in Central Europe stands for the whole day.
      const probe = day.start + 14 * HOUR_MS;
      const weights = outlets.map((outlet) => outlet.salesShare * dayFactor(outlet, day.date));
      const sum = weights.reduce((a, b) => a + b, 0) || 1;
      outlets.forEach((outlet, i) => {
        const share = (day.orders * weights[i]) / sum;
        total += share;
        if (this.eligible(outlet.id, probe).length) covered += share;
      });
    }
    this.uptake = covered ? Math.min(0.95, (CAMPAIGN_SHARE * total) / covered) : 0;
  }

  eligible(locationId: string, ms: number): Campaign[] {
    const result: Campaign[] = [];
    for (const running of this.running) {
      if (running.start <= ms && ms < running.end && (!running.locations || running.locations.has(locationId))) result.push(running.campaign);
    }
    return result;
  }

  /** Whether the campaign's discount applies to `sku`. */
  covers(campaign: Campaign, sku: string): boolean {
    const skus = this.skusById.get(campaign.id);
    return !skus || skus.has(sku);
  }
}
