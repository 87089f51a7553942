import { isUuid, parseDateTime } from '@joinery/core';
import type { TouchpointType } from '../generated/prisma/client';

export const TOUCHPOINT_TYPES: readonly TouchpointType[] = ['EMAIL_OPEN', 'EMAIL_CLICK', 'FORM_SUBMISSION', 'AD_CLICK', 'STORE_VISIT'];

const UTM_FIELDS = ['source', 'medium', 'campaign', 'term', 'content'] as const;

/** An inbound engagement event, checked. */
export interface EngagementEvent {
  id: string;
  type: TouchpointType;
  customerId: string;
  campaignId: string | null;
  occurredAt: Date;
  url: string | null;
  utm: Record<(typeof UTM_FIELDS)[number], string | null>;
}

export type EngagementBodyCheck = { ok: true; event: EngagementEvent } | { ok: false; field: string; message: string };

class BodyError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

function optionalText(body: Record<string, unknown>, field: string, path: string, max: number): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new BodyError(path, `${path} must be a string`);
  if (value.length > max) throw new BodyError(path, `${path} must be at most ${max} characters; got ${value.length}`);
  if (value.includes('\0')) throw new BodyError(path, `${path} must not contain NUL characters`);
  return value.trim() || null;
}

function requiredText(body: Record<string, unknown>, field: string, max: number): string {
  const value = optionalText(body, field, field, max);
  if (value === null) throw new BodyError(field, `${field} is required`);
  return value;
}

/**
 * Parses and checks an inbound engagement body:
 * `{ id, type, customerId, campaignId?, occurredAt, url?, utm?: { source, medium, campaign, term, content } }`.
 * A refusal names the first field that is wrong.
 */
export function parseEngagementBody(raw: string, now = new Date(), futureToleranceMs = 300_000): EngagementBodyCheck {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, field: 'body', message: 'body is not valid JSON' };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, field: 'body', message: 'body must be a JSON object' };
  const input = body as Record<string, unknown>;
  try {
    const id = requiredText(input, 'id', 200);
    const type = input.type;
    if (typeof type !== 'string' || !TOUCHPOINT_TYPES.includes(type as TouchpointType)) throw new BodyError('type', `type must be one of ${TOUCHPOINT_TYPES.join(', ')}; got ${JSON.stringify(type ?? null)}`);
    const customerId = requiredText(input, 'customerId', 200);
    const campaignId = optionalText(input, 'campaignId', 'campaignId', 36);
    if (campaignId !== null && !isUuid(campaignId)) throw new BodyError('campaignId', `campaignId ${JSON.stringify(campaignId)} is not a campaign id (a UUID)`);
    const occurredAtText = requiredText(input, 'occurredAt', 40);
    let occurredAt: Date;
    try {
      occurredAt = parseDateTime(occurredAtText);
    } catch (error) {
      throw new BodyError('occurredAt', `occurredAt: ${(error as Error).message}`);
    }
    if (occurredAt.getTime() > now.getTime() + futureToleranceMs) throw new BodyError('occurredAt', `occurredAt ${occurredAtText} is in the future`);
    const url = optionalText(input, 'url', 'url', 2048);
    const utmInput = input.utm ?? {};
    if (!utmInput || typeof utmInput !== 'object' || Array.isArray(utmInput)) throw new BodyError('utm', 'utm must be an object of strings');
    const utm = Object.fromEntries(UTM_FIELDS.map((field) => [field, optionalText(utmInput as Record<string, unknown>, field, `utm.${field}`, 500)])) as EngagementEvent['utm'];
    return { ok: true, event: { id, type: type as TouchpointType, customerId, campaignId: campaignId?.toLowerCase() ?? null, occurredAt, url, utm } };
  } catch (error) {
    if (error instanceof BodyError) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}
