import { DAY_MS, HOUR_MS, startOfUtcDay } from './calendar';
import { ALWAYS_ON, BUDGETS, TEMPLATES_BY_MONTH, type CampaignTemplate } from './campaign-templates';
import type { Campaign, CampaignStatus, Location, Product } from './model';
import type { Rng } from './prng';

interface Window {
  status: CampaignStatus;
  startsAt: number;
  endsAt: number | null;
  template?: CampaignTemplate;
}

/** Campaigns switch over at midnight Central European (winter) time. */
const atMidnight = (ms: number) => startOfUtcDay(ms) - HOUR_MS;

/** How many campaigns are in each state; past ones make most of the list. */
function statusCounts(count: number) {
  const active = count >= 1 ? Math.max(1, Math.round(count * 0.1)) : 0;
  const draft = count >= 2 ? 1 : 0;
  const scheduled = count >= 3 ? Math.max(1, Math.round(count * 0.15)) : 0;
  return { active, draft, scheduled, completed: count - active - draft - scheduled };
}

function windows(rng: Rng, count: number, historyStart: number, until: number): Window[] {
  const counts = statusCounts(count);
  const result: Window[] = [];
  const first = historyStart - 10 * DAY_MS;
  const slot = Math.max(DAY_MS, (until - 14 * DAY_MS - first) / Math.max(1, counts.completed));
  for (let i = 0; i < counts.completed; i += 1) {
    const startsAt = atMidnight(first + i * slot + rng.next() * slot * 0.4);
    const endsAt = Math.min(atMidnight(startsAt + rng.int(7, 28) * DAY_MS + HOUR_MS), atMidnight(until) - DAY_MS);
    result.push({ status: 'COMPLETED', startsAt, endsAt: Math.max(endsAt, startsAt + DAY_MS) });
  }
  for (let i = 0; i < counts.active; i += 1) {
    if (i === 0 && count >= 8) {
      result.push({ status: 'ACTIVE', startsAt: atMidnight(historyStart - 60 * DAY_MS), endsAt: null, template: ALWAYS_ON });
      continue;
    }
    result.push({ status: 'ACTIVE', startsAt: atMidnight(until - rng.int(3, 25) * DAY_MS), endsAt: atMidnight(until + rng.int(5, 35) * DAY_MS) });
  }
  for (let i = 0; i < counts.scheduled; i += 1) {
    const startsAt = atMidnight(until + rng.int(7, 80) * DAY_MS);
    result.push({ status: 'SCHEDULED', startsAt, endsAt: startsAt + rng.int(7, 21) * DAY_MS });
  }
  for (let i = 0; i < counts.draft; i += 1) {
    const startsAt = atMidnight(until + rng.int(45, 120) * DAY_MS);
    result.push({ status: 'DRAFT', startsAt, endsAt: startsAt + rng.int(14, 28) * DAY_MS });
  }
  return result.sort((a, b) => a.startsAt - b.startsAt);
}

/** A template for the season the campaign starts in, named so that no two campaigns share a name. */
function chooseTemplate(rng: Rng, startsAt: number, used: Set<string>): { template: CampaignTemplate; name: string } {
  const start = new Date(startsAt + HOUR_MS);
  const year = start.getUTCFullYear();
  const render = (template: CampaignTemplate) => template.name.replace('{year}', String(year));
  for (let offset = 0; offset < 12; offset += 1) {
    const options = TEMPLATES_BY_MONTH[(start.getUTCMonth() + offset) % 12].filter((template) => !used.has(render(template)));
    if (options.length) {
      const template = rng.pick(options);
      return { template, name: render(template) };
    }
  }
  const template = rng.pick(TEMPLATES_BY_MONTH[start.getUTCMonth()]);
  let name = render(template).includes(String(year)) ? render(template) : `${render(template)} ${year}`;
  for (let n = 2; used.has(name); n += 1) name = `${render(template)} (${n})`;
  return { template, name };
}

function targetLocations(template: CampaignTemplate, locations: readonly Location[]): string[] {
  const scope = template.scope;
  if (!scope) return [];
  if (scope === 'online') return locations.filter((l) => l.kind === 'ONLINE').map((l) => l.id);
  const stores = locations.filter((l) => l.kind === 'STORE' && (scope === 'stores' || l.region === scope));
  return stores.map((l) => l.id);
}

function targetSkus(template: CampaignTemplate, products: readonly Product[]): string[] {
  if (!template.category) return [];
  const inCategory = products.filter((p) => p.category === template.category);
  const count = Math.min(40, Math.max(3, Math.round(inCategory.length * 0.3)));
  return inCategory
    .sort((a, b) => b.popularity - a.popularity)
    .slice(0, count)
    .map((p) => p.sku)
    .sort();
}

/**
 * Seasonal campaigns around `until`: completed ones through the history, one or more running
 * now, some scheduled and one draft in the future; statuses agree with the dates.
 */
export function generateCampaigns(rng: Rng, count: number, locations: readonly Location[], products: readonly Product[], historyStart: Date, until: Date): Campaign[] {
  const used = new Set<string>();
  return windows(rng, count, historyStart.getTime(), until.getTime()).map((window) => {
    const { template, name } = window.template ? { template: window.template, name: window.template.name } : chooseTemplate(rng, window.startsAt, used);
    used.add(name);
    const createdAt = Math.min(window.startsAt - rng.int(7, 30) * DAY_MS, until.getTime() - rng.int(1, 10) * DAY_MS);
    const [low, high] = BUDGETS[template.channel];
    return {
      id: rng.uuid(createdAt),
      name,
      channel: template.channel,
      status: window.status,
      startsAt: new Date(window.startsAt),
      endsAt: window.endsAt === null ? null : new Date(window.endsAt),
      budgetCents: Math.round(rng.between(low, high) / 500) * 500 * 100,
      targetLocationIds: targetLocations(template, locations),
      targetSkus: targetSkus(template, products),
      createdAt: new Date(createdAt),
      discountPercent: template.discountPercent,
    };
  });
}
