import { describe, expect, it } from 'vitest';
import { generateBrand, type Brand } from './brand';
import { DEMO_BRAND } from './brand-size';
import { DAY_MS } from './calendar';
import type { Order } from './model';
import { touchpointStream, type Touchpoint } from './touchpoints';

const UNTIL = new Date(Date.UTC(2026, 4, 1));
const brand = generateBrand({ ...DEMO_BRAND, until: UNTIL });
const all = (b: Brand, size?: number) => [...touchpointStream(b, size)].flat();
const touches = all(brand);
const orders: Order[] = [...brand.orderBatches()].flat();

describe('touchpointStream', () => {
  it('is the same for the same brand and batch size does not change it', () => {
    expect(all(generateBrand({ ...DEMO_BRAND, until: UNTIL }), 7)).toEqual(touches);
  });

  it('touches about 30 % of the orders with a customer, 1 to 5 times each (2.3 on average)', () => {
    const identified = orders.filter((order) => order.customerId).length;
    // 0.3 × 2.31 touches per touched order (weights 35/27/18/12/8 over 1-5).
    expect(touches.length / identified).toBeGreaterThan(0.3 * 2.31 * 0.85);
    expect(touches.length / identified).toBeLessThan(0.3 * 2.31 * 1.15);
  });

  it('puts every touch within 36 days before an order of its customer', () => {
    const byCustomer = new Map<string, number[]>();
    for (const order of orders) if (order.customerId) byCustomer.set(order.customerId, [...(byCustomer.get(order.customerId) ?? []), order.orderedAt.getTime()]);
    const orphan = touches.filter((touch) => !(byCustomer.get(touch.customerId) ?? []).some((ms) => ms > touch.occurredAt.getTime() && ms - touch.occurredAt.getTime() <= 36 * DAY_MS));
    expect(orphan).toEqual([]);
  });

  it('takes campaign touches only from campaigns running then (started, not draft or scheduled), and leaves some direct', () => {
    const campaigns = new Map(brand.campaigns.map((campaign) => [campaign.id, campaign]));
    const wrong = touches.filter((touch) => {
      if (!touch.campaignId) return false;
      const campaign = campaigns.get(touch.campaignId)!;
      const ms = touch.occurredAt.getTime();
      return !['ACTIVE', 'COMPLETED'].includes(campaign.status) || ms < campaign.startsAt.getTime() || (campaign.endsAt !== null && ms >= campaign.endsAt.getTime());
    });
    expect(wrong).toEqual([]);
    const direct = touches.filter((touch) => !touch.campaignId).length / touches.length;
    expect(direct).toBeGreaterThan(0.1);
    expect(direct).toBeLessThan(0.9);
  });

  it('gives ad and email clicks UTM parameters and a URL carrying them; opens and store visits have no URL', () => {
    const clicks = touches.filter((touch) => touch.type === 'AD_CLICK' || touch.type === 'EMAIL_CLICK');
    expect(clicks.every((touch) => touch.utmSource && touch.utmMedium && touch.url?.includes(`utm_source=${touch.utmSource}`))).toBe(true);
    expect(clicks.filter((touch) => touch.campaignId).every((touch) => touch.utmCampaign && touch.url!.includes(`utm_campaign=${touch.utmCampaign}`))).toBe(true);
    expect(touches.filter((touch: Touchpoint) => touch.type === 'EMAIL_OPEN' || touch.type === 'STORE_VISIT').every((touch) => touch.url === null)).toBe(true);
    expect(new Set(touches.map((touch) => touch.externalId)).size).toBe(touches.length);
  });
});
