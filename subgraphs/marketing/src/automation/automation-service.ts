import DataLoader from 'dataloader';
import { createOnce } from '../create-once';
import {
  groupBesides,
  pageKey,
  connection,
  DomainError,
  graphQLError,
  InputErrors,
  isInstantAndUuid,
  isUuid,
  readPage,
  userError,
  uuidv7,
  type InventoryDirectory,
  type PageArgs,
} from '@joinery/core';
import { Prisma, type AutomationRule, type PrismaClient, type RuleFiring, type StoreTask, type StoreTaskStatus } from '../generated/prisma/client';
import { actionOf, checkAction, checkReferences, checkTrigger, sameTrigger, triggerOf, type AutomationActionInput, type AutomationTriggerInput, type LocalLookups } from './rule-input';

export interface CreateAutomationRuleInput {
  name: string;
  enabled?: boolean | null;
  trigger: AutomationTriggerInput;
  action: AutomationActionInput;
  idempotencyKey?: string | null;
}

export interface UpdateAutomationRuleInput {
  id: string;
  name?: string | null;
  enabled?: boolean | null;
  trigger?: AutomationTriggerInput | null;
  action?: AutomationActionInput | null;
}

export interface StoreTaskFilter {
  locationId?: string | null;
  statuses?: StoreTaskStatus[] | null;
  /** Tasks at these locations only (a scoped caller's); undefined: every location. */
  locations?: readonly string[];
}

export interface RuleFilter {
  enabled?: boolean | null;
  /**
   * Rules a caller scoped to these locations sees (src/access/automation-access.ts): a trigger at
   * one of them, tasks (if any location is set) at one of them; undefined: every rule.
   */
  locations?: readonly string[];
}

const newestFirst = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/** One page of one rule's firings, newest first: rows after `after` ([firedAt, id]), at most `take`. */
interface FiringPageKey {
  ruleId: string;
  take: number;
  after: [string, string] | null;
}

/** Rules a marketer writes and the store tasks they create; the engine (automation-engine.ts) fires them. */
export class AutomationService {
  /** Deleted rules too: firings and tasks keep leading to the rule that made them. */
  private readonly ruleById: DataLoader<string, AutomationRule | null>;
  private readonly taskByFiring: DataLoader<string, StoreTask | null>;
  /** `rules { nodes { firings } }` costs one query for the pages and one for the counts, however many rules. */
  private readonly firingPage: DataLoader<FiringPageKey, RuleFiring[], string>;
  private readonly firingCount: DataLoader<string, number>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly inventory: InventoryDirectory,
    /** Who the request names (joinery-actor): recorded as createdBy and completedBy. */
    private readonly actor: string,
  ) {
    this.ruleById = new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await prisma.automationRule.findMany({ where: { id: { in: valid } } }) : [];
      const map = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => map.get(id) ?? null);
    });
    this.taskByFiring = new DataLoader(async (firingIds) => {
      const rows = await prisma.storeTask.findMany({ where: { firingId: { in: [...firingIds] } } });
      const map = new Map(rows.map((row) => [row.firingId, row]));
      return firingIds.map((id) => map.get(id) ?? null);
    });
    this.firingPage = new DataLoader<FiringPageKey, RuleFiring[], string>(
      async (keys) => {
        const pages = new Map<string, RuleFiring[]>();
        for (const group of groupBesides(keys, 'ruleId')) {
          const { take, after } = group[0];
          // LATERAL … LIMIT walks each rule's (rule_id, fired_at, id) index and stops after `take` rows.
          const rows = await prisma.$queryRaw<RuleFiring[]>`
            SELECT firing.id::text AS "id", firing.rule_id::text AS "ruleId", firing.crossing_key AS "crossingKey", firing.event_id::text AS "eventId",
                   firing.event_type AS "eventType", firing.fired_at AS "firedAt", firing.detail, firing.webhook_delivery_id::text AS "webhookDeliveryId"
            FROM unnest(${group.map((key) => key.ruleId)}::uuid[]) AS wanted(rule_id)
            CROSS JOIN LATERAL (
              SELECT * FROM rule_firings
              WHERE rule_id = wanted.rule_id
                ${after ? Prisma.sql`AND (fired_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : Prisma.empty}
              ORDER BY fired_at DESC, id DESC
              LIMIT ${take}
            ) AS firing
            ORDER BY firing.rule_id, firing.fired_at DESC, firing.id DESC`;
          for (const key of group) pages.set(pageKey(key), []);
          for (const row of rows) pages.get(pageKey({ ruleId: row.ruleId, take, after }))!.push(row);
        }
        return keys.map((key) => pages.get(pageKey(key)) ?? []);
      },
      { cacheKeyFn: pageKey },
    );
    this.firingCount = new DataLoader(async (ruleIds) => {
      const rows = await prisma.$queryRaw<{ rule_id: string; count: number }[]>`
        SELECT rule_id::text AS rule_id, count(*)::int AS count FROM rule_firings WHERE rule_id = ANY(${[...ruleIds]}::uuid[]) GROUP BY rule_id`;
      const counts = new Map(rows.map((row) => [row.rule_id, Number(row.count)]));
      return ruleIds.map((id) => counts.get(id) ?? 0);
    });
  }

  /** A rule that is not deleted. */
  async rule(id: string): Promise<AutomationRule | null> {
    const rule = await this.ruleById.load(id);
    return rule && !rule.deletedAt ? rule : null;
  }

  /** A rule, deleted or not: for the firings and tasks it made. */
  ruleEvenIfDeleted(id: string): Promise<AutomationRule | null> {
    return this.ruleById.load(id);
  }

  taskOfFiring(firingId: string): Promise<StoreTask | null> {
    return this.taskByFiring.load(firingId);
  }

  async rules(args: PageArgs, filter: RuleFilter = {}) {
    const page = readPage(args, isInstantAndUuid);
    const locations = filter.locations ? [...filter.locations] : undefined;
    const where: Prisma.AutomationRuleWhereInput = {
      deletedAt: null,
      ...(filter.enabled != null ? { enabled: filter.enabled } : {}),
      ...(locations ? { triggerLocationId: { in: locations }, OR: [{ actionLocationId: null }, { actionLocationId: { in: locations } }] } : {}),
    };
    const rows = await this.prisma.automationRule.findMany({ where: { AND: [where, after(page.after)] }, orderBy: newestFirst, take: page.take });
    rows.forEach((row) => this.ruleById.prime(row.id, row));
    return connection(rows, page, (row) => [row.createdAt.toISOString(), row.id], () => this.prisma.automationRule.count({ where }));
  }

  /** A rule's firings, newest first. `ruleId` as stored (lower case). */
  async firings(ruleId: string, args: PageArgs) {
    const page = readPage(args, isInstantAndUuid);
    const rows = await this.firingPage.load({ ruleId, take: page.take, after: page.after });
    return connection<RuleFiring, [string, string]>(rows, page, (row) => [row.firedAt.toISOString(), row.id], () => this.firingCount.load(ruleId));
  }

  async tasks(args: PageArgs, filter: StoreTaskFilter = {}) {
    const page = readPage(args, isInstantAndUuid);
    if (filter.locationId != null && !isUuid(filter.locationId)) {
      throw graphQLError('BAD_USER_INPUT', `locationId ${JSON.stringify(filter.locationId)} is not a location id`, { argumentName: 'locationId' });
    }
    const where: Prisma.StoreTaskWhereInput = {
      AND: [
        filter.locationId ? { locationId: filter.locationId.toLowerCase() } : {},
        filter.locations ? { locationId: { in: [...filter.locations] } } : {},
        filter.statuses?.length ? { status: { in: filter.statuses } } : {},
      ],
    };
    const rows = await this.prisma.storeTask.findMany({ where: { AND: [where, after(page.after)] }, orderBy: newestFirst, take: page.take });
    return connection(rows, page, (row) => [row.createdAt.toISOString(), row.id], () => this.prisma.storeTask.count({ where }));
  }

  async create(input: CreateAutomationRuleInput): Promise<{ automationRule: AutomationRule }> {
    const errors = new InputErrors();
    const name = errors.text(['input', 'name'], input.name);
    if (input.idempotencyKey != null) errors.text(['input', 'idempotencyKey'], input.idempotencyKey, { max: 200 });
    const trigger = checkTrigger(errors, input.trigger);
    const action = checkAction(errors, input.action, trigger);
    if (!errors.errors.length) {
      await checkReferences(
        errors,
        { triggerLocationId: trigger.triggerLocationId, sku: trigger.triggerSku, actionLocationId: action.actionLocationId, campaignId: action.campaignId, webhookEndpointId: action.webhookEndpointId },
        this.inventory,
        this.lookups,
      );
    }
    errors.throwIfAny();

    const now = new Date();
    // The id carries the creation time, so ids sort as createdAt does.
    const data = () => ({ id: uuidv7(now.getTime()), name, enabled: input.enabled ?? true, ...trigger, ...action, createdBy: this.actor, createdAt: now, updatedAt: now, activeSince: now });
    const key = input.idempotencyKey;
    if (!key) return { automationRule: await this.prisma.automationRule.create({ data: data() }) };

    const id = await createOnce(this.prisma, 'createAutomationRule', key, { ...input }, (tx) => tx.automationRule.create({ data: data() }));
    return { automationRule: (await this.prisma.automationRule.findUnique({ where: { id } }))! };
  }

  async update(input: UpdateAutomationRuleInput): Promise<{ automationRule: AutomationRule }> {
    const existing = await this.rule(input.id);
    if (!existing) throw new DomainError(userError('NOT_FOUND', `No automation rule with id ${input.id}`, ['input', 'id']));
    const errors = new InputErrors();
    const name = input.name != null ? errors.text(['input', 'name'], input.name) : existing.name;
    const trigger = input.trigger ? checkTrigger(errors, input.trigger) : triggerOf(existing);
    const action = input.action ? checkAction(errors, input.action, trigger) : actionOf(existing);
    if (input.trigger && !input.action && action.actionKind === 'CREATE_TASK' && !action.actionLocationId && !trigger.triggerLocationId) {
      errors.add(['input', 'trigger', 'locationId'], `rule ${existing.id} creates tasks at the trigger's location: keep a locationId or give the action one`);
    }
    if (!errors.errors.length) {
      // Only what this update names is looked up again: renaming a rule works while inventory is down.
      await checkReferences(
        errors,
        {
          triggerLocationId: input.trigger ? trigger.triggerLocationId : null,
          sku: input.trigger ? trigger.triggerSku : null,
          actionLocationId: input.action ? action.actionLocationId : null,
          campaignId: input.action ? action.campaignId : null,
          webhookEndpointId: input.action ? action.webhookEndpointId : null,
        },
        this.inventory,
        this.lookups,
      );
    }
    errors.throwIfAny();

    const now = new Date();
    const triggerChanged = !sameTrigger(trigger, triggerOf(existing));
    const updated = await this.prisma.$transaction(async (tx) => {
      // A changed trigger is a new question: its counters and crossings start from now. Counters are
      // kept per trigger revision, so a consumer still counting under the old revision adds to the
      // old revision's row (left for the next update or delete to clear), never to the new one.
      if (triggerChanged) await tx.milestoneCounter.deleteMany({ where: { ruleId: existing.id } });
      return tx.automationRule.update({
        where: { id: existing.id },
        data: {
          name,
          ...(input.enabled != null ? { enabled: input.enabled } : {}),
          ...trigger,
          ...action,
          updatedAt: now,
          ...(triggerChanged ? { triggerRevision: { increment: 1 }, activeSince: now } : {}),
        },
      });
    });
    this.ruleById.clear(existing.id).prime(existing.id, updated);
    return { automationRule: updated };
  }

  async delete(input: { id: string }): Promise<{ deletedId: string }> {
    const existing = await this.rule(input.id);
    if (!existing) throw new DomainError(userError('NOT_FOUND', `No automation rule with id ${input.id}`, ['input', 'id']));
    const deleted = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.automationRule.updateMany({ where: { id: existing.id, deletedAt: null }, data: { deletedAt: new Date(), updatedAt: new Date() } });
      await tx.milestoneCounter.deleteMany({ where: { ruleId: existing.id } });
      return count;
    });
    if (!deleted) throw new DomainError(userError('NOT_FOUND', `No automation rule with id ${input.id}`, ['input', 'id']));
    this.ruleById.clear(existing.id);
    return { deletedId: existing.id };
  }

  task(id: string): Promise<StoreTask | null> {
    return isUuid(id) ? this.prisma.storeTask.findUnique({ where: { id: id.toLowerCase() } }) : Promise.resolve(null);
  }

  async completeTask(input: { id: string }): Promise<{ storeTask: StoreTask }> {
    const notFound = () => new DomainError(userError('NOT_FOUND', `No store task with id ${input.id}`, ['input', 'id']));
    if (!isUuid(input.id)) throw notFound();
    // Only an OPEN task changes, so a retried completion keeps the first completedAt and completedBy.
    await this.prisma.storeTask.updateMany({ where: { id: input.id, status: 'OPEN' }, data: { status: 'DONE', completedAt: new Date(), completedBy: this.actor } });
    const task = await this.prisma.storeTask.findUnique({ where: { id: input.id } });
    if (!task) throw notFound();
    return { storeTask: task };
  }

  private readonly lookups: LocalLookups = {
    campaignExists: async (id) => (await this.prisma.campaign.count({ where: { id } })) > 0,
    webhookEndpointExists: async (id) => (await this.prisma.webhookEndpoint.count({ where: { id, deletedAt: null } })) > 0,
  };
}

function after(key: [string, string] | null) {
  return key ? { OR: [{ createdAt: { lt: new Date(key[0]) } }, { createdAt: new Date(key[0]), id: { lt: key[1] } }] } : {};
}
