import type Decimal from 'decimal.js';
import { DomainError, graphQLError, InputErrors, isUuid, userError, uuidv7 } from '@joinery/core';
import { createOnce } from '../create-once';
import type { PrismaClient } from '../generated/prisma/client';
import type { CampaignComparisonModel, CampaignPerformanceModel, CampaignSpendEntryModel } from './attribution-models';
import { asOf, campaignCategories, campaignSpend, campaignSummary, compareCampaigns, sourceOf, type AttributionRequest, type CampaignSortField } from './attribution-reports';
import { DEFAULT_PARAMETERS, type AttributionModel } from './attribution-sql';
import { prismaRunner, type RunSql } from './attribution-store';

/** The longest from..to a query may ask for: it bounds a live computation. */
export const MAX_RANGE_DAYS = 731;
export const MAX_COMPARISON_ROWS = 500;

export interface AttributionArgs {
  model?: AttributionModel | null;
  lookbackDays?: number | null;
  halfLifeDays?: number | null;
  from?: Date | null;
  to?: Date | null;
}

export interface ComparisonArgs extends AttributionArgs {
  sortBy?: CampaignSortField | null;
  direction?: 'ASC' | 'DESC' | null;
  first?: number | null;
}

export interface RecordCampaignSpendInput {
  campaignId: string;
  date: string;
  amount: Decimal;
  idempotencyKey: string;
}

/** What a caller may see of attribution: orders at `locations` (undefined: all), and spend or not. */
export interface AttributionView {
  locations?: readonly string[];
  spendVisible: boolean;
}

const EVERYTHING: AttributionView = { spendVisible: true };
/** A caller not shown the spend reads null, and so ROAS and ROI are null. */
const HIDDEN_SPEND = null;

const badArgument = (argument: string, message: string) => graphQLError('BAD_USER_INPUT', message, { argument });

/**
 * The query's parameters with their defaults, or BAD_USER_INPUT naming the argument that is wrong.
 * A ROLLUP answer may span all time (from and to omitted); a LIVE one computes every order of its
 * period at query time, so it needs both bounds, at most MAX_RANGE_DAYS apart.
 */
export function attributionRequest(args: AttributionArgs): AttributionRequest {
  const lookbackDays = args.lookbackDays ?? DEFAULT_PARAMETERS.lookbackDays;
  const halfLifeDays = args.halfLifeDays ?? DEFAULT_PARAMETERS.halfLifeDays;
  const from = args.from ?? null;
  const to = args.to ?? null;
  if (!Number.isInteger(lookbackDays) || lookbackDays < 1 || lookbackDays > 365) throw badArgument('lookbackDays', `lookbackDays must be a whole number of days from 1 to 365; got ${lookbackDays}`);
  if (!Number.isFinite(halfLifeDays) || halfLifeDays <= 0) throw badArgument('halfLifeDays', `halfLifeDays must be above 0; got ${halfLifeDays}`);
  if (from && to && from.getTime() >= to.getTime()) throw badArgument('to', `to (${to.toISOString()}) must be after from (${from.toISOString()})`);
  if (from && to && to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw badArgument('to', `from..to may span at most ${MAX_RANGE_DAYS} days; got ${((to.getTime() - from.getTime()) / 86_400_000).toFixed(1)}`);
  const request: AttributionRequest = { model: args.model ?? 'LAST_TOUCH', lookbackDays, halfLifeDays, from, to };
  if (sourceOf(request) === 'LIVE' && (!from || !to)) {
    const missing = from ? 'to' : 'from';
    throw badArgument(missing, `${missing} is required here: lookbackDays other than ${DEFAULT_PARAMETERS.lookbackDays}, or halfLifeDays other than ${DEFAULT_PARAMETERS.halfLifeDays} under TIME_DECAY, is computed live from every order in the period, so give from and to (at most ${MAX_RANGE_DAYS} days apart)`);
  }
  return request;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Spend days accepted: a DATE column holds far more, but a day outside these is a typo (or year 0, which PostgreSQL refuses). */
export const SPEND_YEARS = { min: 2000, max: 2100 } as const;

function isSpendDay(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  if (year < SPEND_YEARS.min || year > SPEND_YEARS.max) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Campaign performance, the campaign comparison and spend (docs/attribution.md). */
export class AttributionService {
  private readonly run: RunSql;

  constructor(private readonly prisma: PrismaClient) {
    this.run = prismaRunner(prisma);
  }

  /**
   * `view` is what the caller may see (attribution-resolvers.ts): orders at `locations` only
   * (undefined: every location), and the campaign's spend or, when `spendVisible` is false, null
   * (so ROAS and ROI are null).
   */
  performance(campaignId: string, args: AttributionArgs, view: AttributionView = EVERYTHING): CampaignPerformanceModel {
    const request: AttributionRequest = { ...attributionRequest(args), locations: view.locations };
    const source = sourceOf(request);
    const once = <T>(load: () => Promise<T>) => {
      let promise: Promise<T> | undefined;
      return () => (promise ??= load());
    };
    return {
      campaignId,
      request,
      source,
      summary: once(() => campaignSummary(this.run, campaignId, request)),
      categories: once(() => campaignCategories(this.run, campaignId, request)),
      spend: once(() => (view.spendVisible ? campaignSpend(this.run, campaignId, request) : Promise.resolve(HIDDEN_SPEND))),
      asOf: once(() => asOf(this.run, source)),
    };
  }

  /** Over orders at `locations` (undefined: every location), with the campaigns and spend such a caller may see (see compareCampaigns). */
  async comparison(args: ComparisonArgs, locations?: readonly string[]): Promise<CampaignComparisonModel> {
    const request: AttributionRequest = { ...attributionRequest(args), locations };
    const first = args.first ?? 50;
    if (!Number.isInteger(first) || first < 1 || first > MAX_COMPARISON_ROWS) throw badArgument('first', `first must be from 1 to ${MAX_COMPARISON_ROWS}; got ${first}`);
    const source = sourceOf(request);
    const [comparison, freshness] = await Promise.all([
      compareCampaigns(this.run, request, { field: args.sortBy ?? 'REVENUE', direction: args.direction ?? 'DESC', first }),
      asOf(this.run, source),
    ]);
    const campaigns = new Map((await this.prisma.campaign.findMany({ where: { id: { in: comparison.rows.map((row) => row.campaignId) } } })).map((c) => [c.id, c]));
    return {
      ...comparison,
      rows: comparison.rows.map(({ campaignId, ...figures }) => {
        const campaign = campaigns.get(campaignId)!;
        // The same rule as performance's spendVisible: a scoped caller sees the spend of campaigns wholly within their locations.
        const scope = locations && new Set(locations.map((id) => id.toLowerCase()));
        const visible = !scope || (campaign.targetLocationIds.length > 0 && campaign.targetLocationIds.every((id) => scope.has(id.toLowerCase())));
        return { campaign, ...figures, ...(visible ? {} : { spend: null, roas: null, roi: null }) };
      }),
      totals: { ...comparison.totals, ...(locations ? { spend: null } : {}) },
      request,
      source,
      asOf: freshness,
    };
  }

  /**
   * Adds a spend entry once per idempotency key; the campaign must exist. The input is checked
   * first, then the key: a retry of a recorded entry returns that entry whatever has changed
   * since, and only a first request is checked against the campaigns.
   */
  async recordSpend(input: RecordCampaignSpendInput): Promise<{ spendEntry: CampaignSpendEntryModel }> {
    const errors = new InputErrors();
    const key = errors.text(['input', 'idempotencyKey'], input.idempotencyKey);
    errors.money(['input', 'amount'], input.amount);
    if (!isSpendDay(input.date)) errors.add(['input', 'date'], `date must be a calendar day from ${SPEND_YEARS.min}-01-01 to ${SPEND_YEARS.max}-12-31 as YYYY-MM-DD; got ${JSON.stringify(input.date)}`);
    const campaignId = input.campaignId.toLowerCase();
    const unknownCampaign = `No campaign with id ${input.campaignId}`;
    if (!isUuid(campaignId)) errors.add(['input', 'campaignId'], unknownCampaign, 'NOT_FOUND');
    if (errors.errors.length) throw new DomainError(errors.errors);
    const normalised = { campaignId, date: input.date, amount: input.amount.toFixed(2) };
    const id = await createOnce(this.prisma, 'recordCampaignSpend', key, normalised, async (tx) => {
      if (!(await tx.campaign.findUnique({ where: { id: campaignId }, select: { id: true } }))) throw new DomainError(userError('NOT_FOUND', unknownCampaign, ['input', 'campaignId']));
      return tx.campaignSpendEntry.create({ data: { id: uuidv7(), campaignId, spendDate: new Date(`${input.date}T00:00:00Z`), amount: normalised.amount }, select: { id: true } });
    });
    const entry = await this.prisma.campaignSpendEntry.findUnique({ where: { id } });
    if (!entry) throw new DomainError(userError('NOT_FOUND', `Spend entry ${id} no longer exists`));
    return { spendEntry: { id: entry.id, campaignId: entry.campaignId, date: entry.spendDate.toISOString().slice(0, 10), amount: entry.amount.toFixed(2), recordedAt: entry.recordedAt } };
  }
}
