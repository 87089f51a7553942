import { describe, expect, it } from 'vitest';
import { parseEngagementBody } from './engagement-body';

const now = new Date('2026-05-04T12:00:00Z');
const valid = { id: 'evt-1', type: 'EMAIL_CLICK', customerId: 'cust-42', occurredAt: '2026-05-04T11:59:00Z', url: 'https://shop.example/sofa', utm: { source: 'newsletter', campaign: 'spring' } };
const parse = (body: unknown) => parseEngagementBody(JSON.stringify(body), now);

describe('parseEngagementBody', () => {
  it('reads a valid body, with absent utm fields as null', () => {
    expect(parse(valid)).toEqual({
      ok: true,
      event: {
        id: 'evt-1', type: 'EMAIL_CLICK', customerId: 'cust-42', campaignId: null, occurredAt: new Date('2026-05-04T11:59:00Z'), url: 'https://shop.example/sofa',
        utm: { source: 'newsletter', medium: null, campaign: 'spring', term: null, content: null },
      },
    });
  });

  it.each([
    ['body', 'not json', 'not valid JSON'],
    ['body', [], 'JSON object'],
    ['id', { ...valid, id: undefined }, 'id is required'],
    ['type', { ...valid, type: 'PAGE_VIEW' }, 'EMAIL_OPEN'],
    ['customerId', { ...valid, customerId: 42 }, 'must be a string'],
    ['campaignId', { ...valid, campaignId: 'spring' }, 'UUID'],
    ['occurredAt', { ...valid, occurredAt: '4 May 2026' }, 'ISO 8601'],
    ['occurredAt', { ...valid, occurredAt: '2026-05-05T12:00:00Z' }, 'in the future'],
    ['utm', { ...valid, utm: 'newsletter' }, 'object'],
    ['utm.source', { ...valid, utm: { source: 7 } }, 'utm.source must be a string'],
    ['url', { ...valid, url: 'x'.repeat(2049) }, 'at most 2048'],
    ['customerId', { ...valid, customerId: 'a\u0000b' }, 'NUL'],
  ])('refuses a bad %s', (field, body, message) => {
    const result = typeof body === 'string' ? parseEngagementBody(body, now) : parse(body);
    expect(result).toMatchObject({ ok: false, field });
    expect((result as { message: string }).message).toContain(message);
  });
});
