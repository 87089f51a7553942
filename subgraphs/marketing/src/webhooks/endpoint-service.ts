import DataLoader from 'dataloader';
import { createOnce } from '../create-once';
import { groupBesides, pageKey, connection, DomainError, InputErrors, isInstantAndUuid, isUuid, readPage, userError, uuidv7, type PageArgs } from '@joinery/core';
import { Prisma, type PrismaClient, type WebhookAttempt, type WebhookDelivery, type WebhookDeliveryStatus, type WebhookEndpoint, type WebhookProvider } from '../generated/prisma/client';
import { generateWebhookSecret } from './signature';

/** Longest a rotated-out secret may keep working: 7 days, as Stripe allows. */
export const MAX_SECRET_OVERLAP_MINUTES = 10_080;

export interface CreateWebhookEndpointInput {
  name: string;
  provider: WebhookProvider;
  url: string;
  authorizationHeader?: string | null;
  idempotencyKey?: string | null;
}

export interface UpdateWebhookEndpointInput {
  id: string;
  name?: string | null;
  url?: string | null;
  enabled?: boolean | null;
  authorizationHeader?: string | null;
}

/** An http(s) URL without credentials in it (those go in authorizationHeader, which is never shown). */
export function checkWebhookUrl(errors: InputErrors, field: string[], value: string): string {
  const trimmed = value.trim();
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) errors.add(field, `url ${JSON.stringify(value)} must be an absolute http or https URL`);
  else if (url.username || url.password) errors.add(field, 'url must not carry a user name or password: put credentials in authorizationHeader');
  else if (trimmed.length > 2048) errors.add(field, `url must be at most 2048 characters; got ${trimmed.length}`);
  return trimmed;
}

function checkAuthorizationHeader(errors: InputErrors, value: string): string | null {
  const trimmed = value.trim();
  if (!trimmed) return null;
  if (trimmed.length > 2048 || /[\r\n\0]/.test(trimmed)) errors.add(['input', 'authorizationHeader'], 'authorizationHeader must be one line of at most 2048 characters');
  return trimmed;
}

export function checkOverlap(errors: InputErrors, minutes: number | null | undefined): number {
  return errors.integer(['input', 'keepPreviousSecretMinutes'], minutes ?? 0, { min: 0, max: MAX_SECRET_OVERLAP_MINUTES });
}

/** One page of one endpoint's deliveries, newest first: ids below `after`, at most `take`, in `statuses` (sorted; null: all). */
interface DeliveryPageKey {
  endpointId: string;
  take: number;
  after: string | null;
  statuses: WebhookDeliveryStatus[] | null;
}

const notFound = (id: string) => new DomainError(userError('NOT_FOUND', `No webhook endpoint with id ${id}`, ['input', 'id']));

/** Outbound webhook endpoints and their deliveries, as the graph manages and reads them. */
export class WebhookEndpointService {
  private readonly byId: DataLoader<string, WebhookEndpoint | null>;
  private readonly attemptsOf: DataLoader<string, WebhookAttempt[]>;
  /** `webhookEndpoints { nodes { deliveries } }` costs one query for the pages and one for the counts, however many endpoints. */
  private readonly deliveryPage: DataLoader<DeliveryPageKey, WebhookDelivery[], string>;
  private readonly deliveryCount: DataLoader<Omit<DeliveryPageKey, 'take' | 'after'>, number, string>;

  constructor(private readonly prisma: PrismaClient) {
    this.byId = new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await prisma.webhookEndpoint.findMany({ where: { id: { in: valid } } }) : [];
      const map = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => map.get(id) ?? null);
    });
    this.attemptsOf = new DataLoader(async (ids) => {
      const rows = await prisma.webhookAttempt.findMany({ where: { deliveryId: { in: [...ids] } }, orderBy: [{ deliveryId: 'asc' }, { number: 'asc' }] });
      return ids.map((id) => rows.filter((row) => row.deliveryId === id));
    });
    this.deliveryPage = new DataLoader<DeliveryPageKey, WebhookDelivery[], string>(
      async (keys) => {
        const pages = new Map<string, WebhookDelivery[]>();
        for (const group of groupBesides(keys, 'endpointId')) {
          const { take, after, statuses } = group[0];
          // LATERAL … LIMIT walks each endpoint's (endpoint_id, id) index and stops after `take` rows.
          const rows = await prisma.$queryRaw<WebhookDelivery[]>`
            SELECT delivery.id::text AS "id", delivery.endpoint_id::text AS "endpointId", delivery.event_id AS "eventId", delivery.event_type AS "eventType",
                   delivery.occurred_at AS "occurredAt", delivery.body, delivery.status::text AS "status", delivery.attempt_count AS "attemptCount",
                   delivery.next_attempt_at AS "nextAttemptAt", delivery.last_attempt_at AS "lastAttemptAt", delivery.claimed_until AS "claimedUntil",
                   delivery.claim_token::text AS "claimToken", delivery.created_at AS "createdAt"
            FROM unnest(${group.map((key) => key.endpointId)}::uuid[]) AS wanted(endpoint_id)
            CROSS JOIN LATERAL (
              SELECT * FROM webhook_deliveries
              WHERE endpoint_id = wanted.endpoint_id
                ${after ? Prisma.sql`AND id < ${after}::uuid` : Prisma.empty} ${statusFilter(statuses)}
              ORDER BY id DESC
              LIMIT ${take}
            ) AS delivery
            ORDER BY delivery.endpoint_id, delivery.id DESC`;
          for (const key of group) pages.set(pageKey(key), []);
          for (const row of rows) pages.get(pageKey({ endpointId: row.endpointId, take, after, statuses }))!.push(row);
        }
        return keys.map((key) => pages.get(pageKey(key)) ?? []);
      },
      { cacheKeyFn: pageKey },
    );
    this.deliveryCount = new DataLoader<Omit<DeliveryPageKey, 'take' | 'after'>, number, string>(
      async (keys) => {
        const counts = new Map<string, number>();
        for (const group of groupBesides(keys, 'endpointId')) {
          const { statuses } = group[0];
          const rows = await prisma.$queryRaw<{ endpoint_id: string; count: number }[]>`
            SELECT endpoint_id::text AS endpoint_id, count(*)::int AS count FROM webhook_deliveries
            WHERE endpoint_id = ANY(${group.map((key) => key.endpointId)}::uuid[]) ${statusFilter(statuses)}
            GROUP BY endpoint_id`;
          for (const row of rows) counts.set(pageKey({ endpointId: row.endpoint_id, statuses }), Number(row.count));
        }
        return keys.map((key) => counts.get(pageKey(key)) ?? 0);
      },
      { cacheKeyFn: pageKey },
    );
  }

  /** An endpoint that is not deleted. */
  async endpoint(id: string): Promise<WebhookEndpoint | null> {
    const endpoint = await this.byId.load(id);
    return endpoint && !endpoint.deletedAt ? endpoint : null;
  }

  /** An endpoint, deleted or not: for the deliveries queued to it. */
  endpointEvenIfDeleted(id: string): Promise<WebhookEndpoint | null> {
    return this.byId.load(id);
  }

  async list(args: PageArgs) {
    const page = readPage(args, isInstantAndUuid);
    const after: Prisma.WebhookEndpointWhereInput = page.after
      ? { OR: [{ createdAt: { lt: new Date(page.after[0]) } }, { createdAt: new Date(page.after[0]), id: { lt: page.after[1] } }] }
      : {};
    const rows = await this.prisma.webhookEndpoint.findMany({ where: { AND: [{ deletedAt: null }, after] }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: page.take });
    rows.forEach((row) => this.byId.prime(row.id, row));
    return connection(rows, page, (row) => [row.createdAt.toISOString(), row.id], () => this.prisma.webhookEndpoint.count({ where: { deletedAt: null } }));
  }

  delivery(id: string) {
    return isUuid(id) ? this.prisma.webhookDelivery.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  /** An endpoint's deliveries, newest first (ids are UUIDv7, so id order is queue order). */
  async deliveries(endpointId: string, args: PageArgs & { statuses?: WebhookDeliveryStatus[] | null }) {
    const page = readPage(args, isUuid);
    const statuses = args.statuses?.length ? [...new Set(args.statuses)].sort() : null;
    const rows = await this.deliveryPage.load({ endpointId, take: page.take, after: page.after?.toLowerCase() ?? null, statuses });
    return connection(rows, page, (row) => row.id, () => this.deliveryCount.load({ endpointId, statuses }));
  }

  attempts(deliveryId: string): Promise<WebhookAttempt[]> {
    return this.attemptsOf.load(deliveryId);
  }

  async create(input: CreateWebhookEndpointInput): Promise<{ endpoint: WebhookEndpoint; signingSecret: string | null }> {
    const errors = new InputErrors();
    const name = errors.text(['input', 'name'], input.name);
    const url = checkWebhookUrl(errors, ['input', 'url'], input.url);
    const authorizationHeader = input.authorizationHeader == null ? null : checkAuthorizationHeader(errors, input.authorizationHeader);
    const key = input.idempotencyKey;
    if (key != null) errors.text(['input', 'idempotencyKey'], key, { max: 200 });
    errors.throwIfAny();

    const data = () => ({ id: uuidv7(), name, provider: input.provider, url, authorizationHeader, secret: generateWebhookSecret() });
    if (!key) {
      const endpoint = await this.prisma.webhookEndpoint.create({ data: data() });
      return { endpoint, signingSecret: endpoint.secret };
    }
    const id = await createOnce(this.prisma, 'createWebhookEndpoint', key, { ...input }, (tx) => tx.webhookEndpoint.create({ data: data() }));
    const endpoint = await this.prisma.webhookEndpoint.findUnique({ where: { id } });
    if (!endpoint || endpoint.deletedAt) throw new DomainError(userError('NOT_FOUND', `The webhook endpoint ${id} created with idempotencyKey ${JSON.stringify(key)} has been deleted`, ['input', 'idempotencyKey']));
    // A replay answers as the first call did, secret included, until the secret is rotated.
    return { endpoint, signingSecret: endpoint.previousSecret === null ? endpoint.secret : null };
  }

  async update(input: UpdateWebhookEndpointInput): Promise<{ endpoint: WebhookEndpoint }> {
    const existing = await this.endpoint(input.id);
    if (!existing) throw notFound(input.id);
    const errors = new InputErrors();
    const now = new Date();
    const data: Prisma.WebhookEndpointUpdateInput = { updatedAt: now };
    if (input.name != null) data.name = errors.text(['input', 'name'], input.name);
    if (input.url != null) data.url = checkWebhookUrl(errors, ['input', 'url'], input.url);
    if (input.authorizationHeader != null) data.authorizationHeader = checkAuthorizationHeader(errors, input.authorizationHeader);
    errors.throwIfAny();
    const reEnable = input.enabled === true && existing.status === 'DISABLED';
    if (reEnable) Object.assign(data, { status: 'ENABLED', disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null });
    if (input.enabled === false && existing.status === 'ENABLED') Object.assign(data, { status: 'DISABLED', disabledReason: 'disabled through updateWebhookEndpoint', disabledAt: now });
    const endpoint = await this.prisma.$transaction(async (tx) => {
      const updated = await tx.webhookEndpoint.update({ where: { id: input.id }, data });
      // Deliveries that waited while the endpoint was disabled are due at once.
      if (reEnable) await tx.$executeRaw`UPDATE webhook_deliveries SET next_attempt_at = clock_timestamp() WHERE endpoint_id = ${input.id}::uuid AND status = 'PENDING'`;
      return updated;
    });
    return { endpoint };
  }

  async rotateSecret(input: { id: string; keepPreviousSecretMinutes?: number | null }): Promise<{ endpoint: WebhookEndpoint; signingSecret: string }> {
    const errors = new InputErrors();
    const minutes = checkOverlap(errors, input.keepPreviousSecretMinutes);
    errors.throwIfAny();
    const existing = await this.endpoint(input.id);
    if (!existing) throw notFound(input.id);
    const now = new Date();
    const endpoint = await this.prisma.webhookEndpoint.update({
      where: { id: input.id },
      data: { secret: generateWebhookSecret(), previousSecret: existing.secret, previousSecretExpiresAt: new Date(now.getTime() + minutes * 60_000), updatedAt: now },
    });
    return { endpoint, signingSecret: endpoint.secret };
  }

  /**
   * Marks the endpoint deleted: it leaves the lists and takes no new deliveries, and its pending
   * ones are FAILED without another attempt. Its deliveries and their attempts stay readable.
   */
  async delete(input: { id: string }): Promise<{ deletedId: string }> {
    const existing = await this.endpoint(input.id);
    if (!existing) throw notFound(input.id);
    const deleted = await this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const { count } = await tx.webhookEndpoint.updateMany({ where: { id: existing.id, deletedAt: null }, data: { deletedAt: now, updatedAt: now } });
      if (count) await tx.$executeRaw`UPDATE webhook_deliveries SET status = 'FAILED', next_attempt_at = NULL WHERE endpoint_id = ${existing.id}::uuid AND status = 'PENDING'`;
      return count;
    });
    if (!deleted) throw notFound(input.id);
    this.byId.clear(existing.id);
    return { deletedId: existing.id };
  }
}

function statusFilter(statuses: WebhookDeliveryStatus[] | null): Prisma.Sql {
  return statuses ? Prisma.sql`AND status::text = ANY(${statuses}::text[])` : Prisma.empty;
}
