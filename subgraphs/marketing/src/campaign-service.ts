import DataLoader from 'dataloader';
import { createOnce } from './create-once';
import type Decimal from 'decimal.js';
import {
  connection,
  DomainError,
  graphQLError,
  InputErrors,
  isInstantAndUuid,
  isUuid,
  readPage,
  SubgraphUnavailableError,
  userError,
  uuidv7,
  type InventoryDirectory,
  type PageArgs,
} from '@joinery/core';
import { Prisma, type Campaign, type CampaignChannel, type CampaignStatus, type PrismaClient, type RfmSegment } from './generated/prisma/client';

const MAX_TARGETS = 1_000;

export interface CampaignFilter {
  statuses?: CampaignStatus[] | null;
  channels?: CampaignChannel[] | null;
  activeFrom?: Date | null;
  activeTo?: Date | null;
}

export interface CreateCampaignInput {
  name: string;
  channel: CampaignChannel;
  status?: CampaignStatus | null;
  startsAt: Date;
  endsAt?: Date | null;
  budget: Decimal;
  targetLocationIds?: string[] | null;
  targetSkus?: string[] | null;
  targetSegments?: RfmSegment[] | null;
  idempotencyKey?: string | null;
}

export interface UpdateCampaignInput {
  id: string;
  name?: string | null;
  status?: CampaignStatus | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  budget?: Decimal | null;
  targetLocationIds?: string[] | null;
  targetSkus?: string[] | null;
  targetSegments?: RfmSegment[] | null;
}

/** Campaigns; targets are checked against the inventory subgraph, which owns locations and products. */
export class CampaignService {
  private readonly byId: DataLoader<string, Campaign | null>;

  constructor(private readonly prisma: PrismaClient, private readonly inventory: InventoryDirectory) {
    this.byId = new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await prisma.campaign.findMany({ where: { id: { in: valid } } }) : [];
      const map = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => map.get(id) ?? null);
    });
  }

  campaign(id: string): Promise<Campaign | null> {
    return this.byId.load(id);
  }

  /**
   * Newest start first. `locations` (undefined: every location) keeps the campaigns a scoped caller
   * may see: those targeting every location (no targets) or at least one of `locations`.
   */
  async list(args: PageArgs, filter: CampaignFilter = {}, locations?: readonly string[]) {
    const page = readPage(args, isInstantAndUuid);
    const where: Prisma.CampaignWhereInput = {
      AND: [
        {
          ...(filter.statuses?.length ? { status: { in: filter.statuses } } : {}),
          ...(filter.channels?.length ? { channel: { in: filter.channels } } : {}),
          ...(filter.activeTo ? { startsAt: { lt: filter.activeTo } } : {}),
          ...(filter.activeFrom ? { OR: [{ endsAt: null }, { endsAt: { gt: filter.activeFrom } }] } : {}),
        },
        locations ? { OR: [{ targetLocationIds: { isEmpty: true } }, { targetLocationIds: { hasSome: [...locations] } }] } : {},
      ],
    };
    const after: Prisma.CampaignWhereInput = page.after
      ? { OR: [{ startsAt: { lt: new Date(page.after[0]) } }, { startsAt: new Date(page.after[0]), id: { lt: page.after[1] } }] }
      : {};
    const rows = await this.prisma.campaign.findMany({ where: { AND: [where, after] }, orderBy: [{ startsAt: 'desc' }, { id: 'desc' }], take: page.take });
    rows.forEach((row) => this.byId.prime(row.id, row));
    return connection(rows, page, (row) => [row.startsAt.toISOString(), row.id], () => this.prisma.campaign.count({ where }));
  }

  async create(input: CreateCampaignInput): Promise<{ campaign: Campaign }> {
    const errors = new InputErrors();
    const name = errors.text(['input', 'name'], input.name);
    errors.money(['input', 'budget'], input.budget);
    if (input.endsAt && input.endsAt <= input.startsAt) errors.add(['input', 'endsAt'], `endsAt ${input.endsAt.toISOString()} must be after startsAt ${input.startsAt.toISOString()}`);
    if (input.idempotencyKey != null) errors.text(['input', 'idempotencyKey'], input.idempotencyKey, { max: 200 });
    const targets = await this.checkTargets(errors, input.targetLocationIds ?? [], input.targetSkus ?? []);
    errors.throwIfAny();

    const data = {
      name,
      channel: input.channel,
      status: input.status ?? 'DRAFT',
      startsAt: input.startsAt,
      endsAt: input.endsAt ?? null,
      budget: input.budget.toFixed(2),
      targetLocationIds: targets.locationIds,
      targetSkus: targets.skus,
      targetSegments: [...new Set(input.targetSegments ?? [])],
    };
    const key = input.idempotencyKey;
    if (!key) return { campaign: await this.prisma.campaign.create({ data: { id: uuidv7(), ...data } }) };

    const id = await createOnce(this.prisma, 'createCampaign', key, { ...input }, (tx) => tx.campaign.create({ data: { id: uuidv7(), ...data } }));
    return { campaign: (await this.prisma.campaign.findUnique({ where: { id } }))! };
  }

  async update(input: UpdateCampaignInput): Promise<{ campaign: Campaign }> {
    const existing = await this.campaign(input.id);
    if (!existing) throw new DomainError(userError('NOT_FOUND', `No campaign with id ${input.id}`, ['input', 'id']));
    const errors = new InputErrors();
    const data: Prisma.CampaignUpdateInput = { updatedAt: new Date() };
    if (input.name != null) data.name = errors.text(['input', 'name'], input.name);
    if (input.status != null) data.status = input.status;
    if (input.startsAt != null) data.startsAt = input.startsAt;
    if (input.endsAt !== undefined) data.endsAt = input.endsAt;
    if (input.budget != null) data.budget = errors.money(['input', 'budget'], input.budget).toFixed(2);
    if (input.targetSegments != null) data.targetSegments = [...new Set(input.targetSegments)];
    const startsAt = input.startsAt ?? existing.startsAt;
    const endsAt = input.endsAt === undefined ? existing.endsAt : input.endsAt;
    if (endsAt && endsAt <= startsAt) errors.add(['input', 'endsAt'], `endsAt ${endsAt.toISOString()} must be after startsAt ${startsAt.toISOString()}`);
    if (input.targetLocationIds != null || input.targetSkus != null) {
      const targets = await this.checkTargets(errors, input.targetLocationIds ?? [], input.targetSkus ?? []);
      if (input.targetLocationIds != null) data.targetLocationIds = targets.locationIds;
      if (input.targetSkus != null) data.targetSkus = targets.skus;
    }
    errors.throwIfAny();
    return { campaign: await this.prisma.campaign.update({ where: { id: input.id }, data }) };
  }

  private async checkTargets(errors: InputErrors, locationIds: string[], skus: string[]) {
    const uniqueLocations = [...new Set(locationIds)];
    const uniqueSkus = [...new Set(skus)];
    if (uniqueLocations.length > MAX_TARGETS) errors.add(['input', 'targetLocationIds'], `at most ${MAX_TARGETS} target locations; got ${uniqueLocations.length}`);
    if (uniqueSkus.length > MAX_TARGETS) errors.add(['input', 'targetSkus'], `at most ${MAX_TARGETS} target products; got ${uniqueSkus.length}`);
    if (errors.errors.length || (!uniqueLocations.length && !uniqueSkus.length)) return { locationIds: uniqueLocations, skus: uniqueSkus };
    const malformed = uniqueLocations.filter((id) => !isUuid(id));
    try {
      const found = await this.inventory.lookup({ locationIds: uniqueLocations.filter(isUuid), skus: uniqueSkus });
      for (const id of [...malformed, ...found.missingLocations]) errors.add(['input', 'targetLocationIds'], `No location with id ${id}`, 'NOT_FOUND');
      for (const sku of uniqueSkus.filter((sku) => !found.prices.has(sku))) errors.add(['input', 'targetSkus'], `No product with sku ${sku}`, 'NOT_FOUND');
    } catch (error) {
      if (error instanceof SubgraphUnavailableError) throw graphQLError('UNAVAILABLE', `${error.message}; nothing was changed, retry later`);
      throw error;
    }
    return { locationIds: uniqueLocations, skus: uniqueSkus };
  }
}
