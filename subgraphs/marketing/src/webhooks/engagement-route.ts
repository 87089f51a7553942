import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUuid } from '@joinery/core';
import type { PrismaClient } from '../generated/prisma/client';
import { parseEngagementBody } from './engagement-body';
import { campaignExists, recordRejection, recordTouchpoint, sourceSecrets } from './engagement-service';
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhookSignature } from './signature';

/** Inbound engagement is POSTed to this path followed by the source's id. */
export const ENGAGEMENT_PATH_PREFIX = '/webhooks/engagement/';
/** Largest inbound body accepted: 64 KiB. */
export const MAX_ENGAGEMENT_BODY_BYTES = 64 * 1024;
/** Bytes of a refused body kept with its rejection: 1 KiB. */
export const REJECTED_BODY_EXCERPT_BYTES = 1024;
/** A body this much over the limit is not read further: the connection is cut. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

export interface EngagementRouteOptions {
  /** Seconds a request's signature timestamp may be from now. Default 300. */
  toleranceSeconds?: number;
}

function readBody(request: IncomingMessage): Promise<{ raw: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so the client still receives its 413.
      if (size <= MAX_ENGAGEMENT_BODY_BYTES + 1) chunks.push(chunk);
      if (size > MAX_ENGAGEMENT_BODY_BYTES + DRAIN_LIMIT_BYTES) request.destroy();
    });
    request.on('end', () => resolve({ raw: Buffer.concat(chunks), tooLarge: size > MAX_ENGAGEMENT_BODY_BYTES }));
    request.on('error', reject);
  });
}

function excerpt(raw: Buffer): string | null {
  if (!raw.length) return null;
  return new TextDecoder().decode(raw.subarray(0, REJECTED_BODY_EXCERPT_BYTES)).replace(/\uFFFD$/, '').replaceAll('\u0000', '');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/**
 * POST /webhooks/engagement/<sourceId>: a platform reports an engagement, signed like Joinery's
 * own webhooks. Stored as a touchpoint with its event (200; a repeated id: 200, nothing new), or
 * refused (404 unknown source, 413 too large, 401 signature, 400 body) with only a rejection row.
 */
export function engagementWebhookRoute(prisma: PrismaClient, options: EngagementRouteOptions = {}) {
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const sourceId = path.slice(ENGAGEMENT_PATH_PREFIX.length).toLowerCase();
    const { raw, tooLarge } = await readBody(request);
    const refuse = async (status: number, knownSourceId: string | null, reason: string, field?: string) => {
      await recordRejection(prisma, { sourceId: knownSourceId, path, status, reason, bodyExcerpt: excerpt(raw) });
      send(response, status, { error: { status, message: reason, ...(field ? { field } : {}) } });
    };

    const source = isUuid(sourceId) ? await prisma.engagementSource.findUnique({ where: { id: sourceId } }) : null;
    if (!source) return refuse(404, null, `No engagement source with id ${JSON.stringify(path.slice(ENGAGEMENT_PATH_PREFIX.length))}`);
    if (tooLarge) return refuse(413, source.id, `Body exceeds ${MAX_ENGAGEMENT_BODY_BYTES} bytes`);
    const now = new Date();
    const signature = request.headers['joinery-webhook-signature'];
    const check = verifyWebhookSignature({ secret: sourceSecrets(source, now), header: Array.isArray(signature) ? signature[0] : signature, body: raw, toleranceSeconds, now });
    if (!check.ok) return refuse(401, source.id, `Signature refused (${check.reason}): ${check.message}`);
    const parsed = parseEngagementBody(raw.toString('utf8'), now);
    if (!parsed.ok) return refuse(400, source.id, parsed.message, parsed.field);

    const { event } = parsed;
    let campaignId: string | null = null;
    if (event.campaignId) {
      if (!(await campaignExists(prisma, event.campaignId))) return refuse(400, source.id, `campaignId: no campaign with id ${event.campaignId}`, 'campaignId');
      campaignId = event.campaignId;
    } else if (event.utm.campaign && (await campaignExists(prisma, event.utm.campaign))) {
      campaignId = event.utm.campaign.toLowerCase();
    }
    const result = await recordTouchpoint(prisma, source.id, event, campaignId);
    send(response, 200, { received: true, ...result });
  };
}
