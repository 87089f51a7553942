import { connection, graphQLError, isString, isUuid, readPage, type PageArgs } from '@joinery/core';
import { Prisma, type Campaign, type PrismaClient, type RfmSegment } from '../generated/prisma/client';
import { OVERALL_SCOPE, RFM_SEGMENTS } from './rfm-grid';
import type { CampaignAudienceConnectionModel, CampaignAudienceMemberModel, CustomerRfmConnectionModel, CustomerRfmModel } from './segment-models';

export interface SegmentStats {
  segment: RfmSegment;
  customerCount: number;
  share: number;
  revenue: string;
  avgRecencyDays: number | null;
  avgFrequency: number | null;
  avgMonetary: string | null;
}

export interface SegmentReport {
  location: { id: string } | null;
  asOf: Date | null;
  customerCount: number;
  segments: SegmentStats[];
}

/** customer_rfm's columns as CustomerRfmModel, with the snapshot's time. */
const RFM_COLUMNS = Prisma.sql`
  rfm.customer_id AS "customerId", CASE WHEN rfm.scope = ${OVERALL_SCOPE} THEN NULL ELSE rfm.scope END AS "locationId",
  rfm.last_order_at AS "lastOrderAt", rfm.recency_days AS "recencyDays", rfm.frequency, rfm.monetary::text AS monetary,
  rfm.r_score AS "recencyScore", rfm.f_score AS "frequencyScore", rfm.m_score AS "monetaryScore", rfm.segment::text AS segment,
  rfm.segment_since AS "segmentSince", refresh.as_of AS "asOf"`;

/** Reads the newest RFM snapshot (segment-refresh.ts writes it); every aggregate is grouped in SQL. */
export class SegmentService {
  constructor(private readonly prisma: PrismaClient) {}

  async report(locationId: string | null | undefined): Promise<SegmentReport> {
    const scope = scopeOf(locationId, 'locationId');
    // One statement over the refresh's per-segment sums (customer_segment_stats): counts and asOf
    // come from the same snapshot even while a refresh commits.
    const rows = await this.prisma.$queryRaw<
      { segment: RfmSegment; customer_count: number; total: number; share: number; revenue: string; avg_recency_days: number | null; avg_frequency: number | null; avg_monetary: string | null; as_of: Date | null }[]
    >`
      WITH scoped AS (SELECT * FROM customer_segment_stats WHERE scope = ${scope}),
           total AS (SELECT coalesce(sum(customer_count), 0)::int AS n FROM scoped)
      SELECT seg.segment::text AS segment, coalesce(scoped.customer_count, 0)::int AS customer_count, total.n AS total,
             (CASE WHEN total.n = 0 THEN 0 ELSE round(coalesce(scoped.customer_count, 0)::numeric / total.n, 4) END)::float8 AS share,
             coalesce(scoped.revenue, 0)::numeric(18,2)::text AS revenue,
             round(scoped.recency_days_sum::numeric / scoped.customer_count, 2)::float8 AS avg_recency_days,
             round(scoped.frequency_sum::numeric / scoped.customer_count, 2)::float8 AS avg_frequency,
             round(scoped.revenue / scoped.customer_count, 2)::text AS avg_monetary,
             (SELECT max(as_of) FROM customer_segment_refreshes) AS as_of
      FROM unnest(enum_range(NULL::rfm_segment)) WITH ORDINALITY AS seg(segment, position)
      CROSS JOIN total
      LEFT JOIN scoped ON scoped.segment = seg.segment
      ORDER BY seg.position`;
    return {
      location: scope === OVERALL_SCOPE ? null : { id: scope },
      asOf: rows[0]?.as_of ?? null,
      customerCount: Number(rows[0]?.total ?? 0),
      segments: rows.map((row) => ({
        segment: row.segment,
        customerCount: Number(row.customer_count),
        share: Number(row.share),
        revenue: row.revenue,
        avgRecencyDays: row.avg_recency_days === null ? null : Number(row.avg_recency_days),
        avgFrequency: row.avg_frequency === null ? null : Number(row.avg_frequency),
        avgMonetary: row.avg_monetary,
      })),
    };
  }

  async customer(customerId: string, locationId: string | null | undefined): Promise<CustomerRfmModel | null> {
    const scope = scopeOf(locationId, 'locationId');
    const [row] = await this.prisma.$queryRaw<CustomerRfmModel[]>`
      SELECT ${RFM_COLUMNS} FROM customer_rfm AS rfm JOIN customer_segment_refreshes AS refresh ON refresh.id = rfm.refresh_id
      WHERE rfm.scope = ${scope} AND rfm.customer_id = ${customerId}`;
    return row ? model(row) : null;
  }

  /** One segment's customers in one scope, by customer id. */
  async customers(segment: RfmSegment, locationId: string | null | undefined, args: PageArgs): Promise<CustomerRfmConnectionModel> {
    const scope = scopeOf(locationId, 'locationId');
    const page = readPage(args, isString);
    const rows = await this.prisma.$queryRaw<CustomerRfmModel[]>`
      SELECT ${RFM_COLUMNS} FROM customer_rfm AS rfm JOIN customer_segment_refreshes AS refresh ON refresh.id = rfm.refresh_id
      WHERE rfm.scope = ${scope} AND rfm.segment = ${segment}::rfm_segment ${page.after === null ? Prisma.empty : Prisma.sql`AND rfm.customer_id > ${page.after}`}
      ORDER BY rfm.customer_id
      LIMIT ${page.take}`;
    const count = async () => {
      const [{ n }] = await this.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM customer_rfm WHERE scope = ${scope} AND segment = ${segment}::rfm_segment`;
      return Number(n);
    };
    return { ...connection(rows.map(model), page, (row) => row.customerId, count), asOf: rows[0]?.asOf ?? (await this.asOf()) };
  }

  /**
   * A campaign's audience: customers whose segment is one of its targetSegments (any when empty) at
   * one of its target locations' segmentations, or overall when it targets every location. Each
   * customer once, with the scopes that matched. `onlyAt`: these target locations' segmentations
   * only (a scoped caller's share of the targets).
   */
  async audience(campaign: Campaign, args: PageArgs, onlyAt?: readonly string[]): Promise<CampaignAudienceConnectionModel> {
    const page = readPage(args, isString);
    const scopes = onlyAt ? [...onlyAt] : campaign.targetLocationIds?.length ? campaign.targetLocationIds.map((id) => id.toLowerCase()) : [OVERALL_SCOPE];
    const segments = campaign.targetSegments?.length ? campaign.targetSegments : [...RFM_SEGMENTS];
    const where = Prisma.sql`rfm.scope = ANY(${scopes}::text[]) AND rfm.segment = ANY(${segments}::text[]::rfm_segment[])`;
    const rows = await this.prisma.$queryRaw<{ customer_id: string; matches: (Omit<CustomerRfmModel, 'lastOrderAt' | 'segmentSince' | 'asOf'> & { lastOrderAt: string; segmentSince: string; asOf: string })[] }[]>`
      SELECT rfm.customer_id,
             json_agg(json_build_object(
               'customerId', rfm.customer_id, 'locationId', CASE WHEN rfm.scope = ${OVERALL_SCOPE} THEN NULL ELSE rfm.scope END,
               'lastOrderAt', rfm.last_order_at, 'recencyDays', rfm.recency_days, 'frequency', rfm.frequency, 'monetary', rfm.monetary::text,
               'recencyScore', rfm.r_score, 'frequencyScore', rfm.f_score, 'monetaryScore', rfm.m_score, 'segment', rfm.segment,
               'segmentSince', rfm.segment_since, 'asOf', refresh.as_of) ORDER BY rfm.scope) AS matches
      FROM customer_rfm AS rfm JOIN customer_segment_refreshes AS refresh ON refresh.id = rfm.refresh_id
      WHERE ${where} ${page.after === null ? Prisma.empty : Prisma.sql`AND rfm.customer_id > ${page.after}`}
      GROUP BY rfm.customer_id
      ORDER BY rfm.customer_id
      LIMIT ${page.take}`;
    const members: CampaignAudienceMemberModel[] = rows.map((row) => ({
      customerId: row.customer_id,
      matches: row.matches.map((match) => ({ ...match, lastOrderAt: new Date(match.lastOrderAt), segmentSince: new Date(match.segmentSince), asOf: new Date(match.asOf) })),
    }));
    const count = async () => {
      const [{ n }] = await this.prisma.$queryRaw<{ n: number }[]>`SELECT count(DISTINCT rfm.customer_id)::int AS n FROM customer_rfm AS rfm WHERE ${where}`;
      return Number(n);
    };
    return { ...connection(members, page, (member) => member.customerId, count), asOf: members[0]?.matches[0]?.asOf ?? (await this.asOf()) };
  }

  private async asOf(): Promise<Date | null> {
    const [row] = await this.prisma.$queryRaw<{ as_of: Date | null }[]>`SELECT max(as_of) AS as_of FROM customer_segment_refreshes`;
    return row?.as_of ?? null;
  }
}

function scopeOf(locationId: string | null | undefined, argumentName: string): string {
  if (locationId == null) return OVERALL_SCOPE;
  if (!isUuid(locationId)) throw graphQLError('BAD_USER_INPUT', `${argumentName} ${JSON.stringify(locationId)} is not a location id`, { argumentName });
  return locationId.toLowerCase();
}

function model(row: CustomerRfmModel): CustomerRfmModel {
  return { ...row, recencyDays: Number(row.recencyDays), frequency: Number(row.frequency), recencyScore: Number(row.recencyScore), frequencyScore: Number(row.frequencyScore), monetaryScore: Number(row.monetaryScore) };
}
