import DataLoader from 'dataloader';
import { connection, DomainError, InputErrors, isInstantAndUuid, isUuid, readPage, userError, uuidv7, type PageArgs } from '@joinery/core';
import type { EngagementSource, Prisma, PrismaClient, TouchpointType, WebhookProvider } from '../generated/prisma/client';
import type { EngagementEvent } from './engagement-body';
import { checkOverlap } from './endpoint-service';
import { generateWebhookSecret } from './signature';
import { recordMarketingEvent, TOUCHPOINT_RECORDED } from './webhook-events';

export interface TouchpointFilter {
  customerId?: string | null;
  campaignIds?: string[] | null;
  types?: TouchpointType[] | null;
  from?: Date | null;
  to?: Date | null;
}

/** The secrets a source's requests may be signed with now: the current one, and the previous one during its overlap. */
export function sourceSecrets(source: EngagementSource, now = new Date()): string[] {
  return source.previousSecret && source.previousSecretExpiresAt && source.previousSecretExpiresAt > now ? [source.secret, source.previousSecret] : [source.secret];
}

/** Engagement sources, the touchpoints they report, and the inbound requests refused. */
export class EngagementService {
  private readonly sourceById: DataLoader<string, EngagementSource | null>;

  constructor(private readonly prisma: PrismaClient) {
    this.sourceById = new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await prisma.engagementSource.findMany({ where: { id: { in: valid } } }) : [];
      const map = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => map.get(id) ?? null);
    });
  }

  source(id: string): Promise<EngagementSource | null> {
    return this.sourceById.load(id);
  }

  async sources(args: PageArgs) {
    const page = readPage(args, isInstantAndUuid);
    const after: Prisma.EngagementSourceWhereInput = page.after
      ? { OR: [{ createdAt: { lt: new Date(page.after[0]) } }, { createdAt: new Date(page.after[0]), id: { lt: page.after[1] } }] }
      : {};
    const rows = await this.prisma.engagementSource.findMany({ where: after, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: page.take });
    return connection(rows, page, (row) => [row.createdAt.toISOString(), row.id], () => this.prisma.engagementSource.count());
  }

  async createSource(input: { name: string; provider: WebhookProvider }): Promise<{ source: EngagementSource; signingSecret: string }> {
    const errors = new InputErrors();
    const name = errors.text(['input', 'name'], input.name);
    errors.throwIfAny();
    const source = await this.prisma.engagementSource.create({ data: { id: uuidv7(), name, provider: input.provider, secret: generateWebhookSecret() } });
    return { source, signingSecret: source.secret };
  }

  async rotateSourceSecret(input: { id: string; keepPreviousSecretMinutes?: number | null }): Promise<{ source: EngagementSource; signingSecret: string }> {
    const errors = new InputErrors();
    const minutes = checkOverlap(errors, input.keepPreviousSecretMinutes);
    errors.throwIfAny();
    const existing = await this.source(input.id);
    if (!existing) throw new DomainError(userError('NOT_FOUND', `No engagement source with id ${input.id}`, ['input', 'id']));
    const source = await this.prisma.engagementSource.update({
      where: { id: input.id },
      data: { secret: generateWebhookSecret(), previousSecret: existing.secret, previousSecretExpiresAt: new Date(Date.now() + minutes * 60_000) },
    });
    return { source, signingSecret: source.secret };
  }

  /** Latest occurredAt first. */
  async touchpoints(args: PageArgs, filter: TouchpointFilter = {}) {
    const page = readPage(args, isInstantAndUuid);
    // An id that is not a UUID names no campaign: it matches nothing rather than failing in SQL.
    const campaignIds = filter.campaignIds?.map((id) => id.toLowerCase()).filter(isUuid);
    const where: Prisma.TouchpointWhereInput = {
      ...(filter.customerId != null ? { customerId: filter.customerId } : {}),
      ...(filter.campaignIds?.length ? { campaignId: { in: campaignIds } } : {}),
      ...(filter.types?.length ? { type: { in: filter.types } } : {}),
      ...(filter.from || filter.to ? { occurredAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
    };
    const after: Prisma.TouchpointWhereInput = page.after
      ? { OR: [{ occurredAt: { lt: new Date(page.after[0]) } }, { occurredAt: new Date(page.after[0]), id: { lt: page.after[1] } }] }
      : {};
    const rows = await this.prisma.touchpoint.findMany({ where: { AND: [where, after] }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }], take: page.take });
    return connection(rows, page, (row) => [row.occurredAt.toISOString(), row.id], () => this.prisma.touchpoint.count({ where }));
  }

  /** Newest first. */
  async rejections(args: PageArgs) {
    const page = readPage(args, isUuid);
    const rows = await this.prisma.inboundWebhookRejection.findMany({ where: page.after ? { id: { lt: page.after } } : {}, orderBy: { id: 'desc' }, take: page.take });
    return connection(rows, page, (row) => row.id, () => this.prisma.inboundWebhookRejection.count());
  }
}

/** Whether `id` names a campaign: an explicit campaignId must; utm.campaign is used when it does. */
export async function campaignExists(prisma: PrismaClient, id: string): Promise<boolean> {
  return isUuid(id) && (await prisma.campaign.count({ where: { id: id.toLowerCase() } })) > 0;
}

/**
 * Stores a touchpoint and its `marketing.touchpoint_recorded` event in one transaction. A second
 * report with the same sender id from the same source stores nothing: `duplicate` is true.
 */
export async function recordTouchpoint(prisma: PrismaClient, sourceId: string, event: EngagementEvent, campaignId: string | null): Promise<{ touchpointId: string; duplicate: boolean }> {
  return prisma.$transaction(async (tx) => {
    const id = uuidv7();
    const inserted = await tx.$queryRaw<{ id: string; received_at: Date }[]>`
      INSERT INTO touchpoints (id, source_id, external_id, customer_id, campaign_id, type, occurred_at, url, utm_source, utm_medium, utm_campaign, utm_term, utm_content)
      VALUES (${id}::uuid, ${sourceId}::uuid, ${event.id}, ${event.customerId}, ${campaignId}::uuid, ${event.type}::touchpoint_type, ${event.occurredAt}, ${event.url},
              ${event.utm.source}, ${event.utm.medium}, ${event.utm.campaign}, ${event.utm.term}, ${event.utm.content})
      ON CONFLICT (source_id, external_id) DO NOTHING
      RETURNING id::text AS id, received_at`;
    if (!inserted.length) {
      const existing = await tx.touchpoint.findUnique({ where: { sourceId_externalId: { sourceId, externalId: event.id } }, select: { id: true } });
      return { touchpointId: existing!.id, duplicate: true };
    }
    await recordMarketingEvent(tx, {
      type: TOUCHPOINT_RECORDED,
      aggregate: event.customerId,
      payload: {
        touchpointId: id, sourceId, externalId: event.id, customerId: event.customerId, campaignId, type: event.type,
        occurredAt: event.occurredAt.toISOString(), url: event.url, utm: event.utm,
      },
    });
    return { touchpointId: id, duplicate: false };
  });
}

/** Keeps a refused inbound request: why, and the start of its body; nothing else of it is stored. */
export async function recordRejection(prisma: PrismaClient, rejection: { sourceId: string | null; path: string; status: number; reason: string; bodyExcerpt: string | null }): Promise<void> {
  await prisma.inboundWebhookRejection.create({ data: { id: uuidv7(), ...rejection, path: rejection.path.slice(0, 500), reason: rejection.reason.slice(0, 1000) } });
}
