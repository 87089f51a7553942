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
/** Bytes of a refused body kept with its rejection (a 400 from a signed request only): 1 KiB. */
export const REJECTED_BODY_EXCERPT_BYTES = 1024;
/** After a refusal this much more of the body is read and dropped, so the client can read its answer; past it the connection is cut. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

export interface EngagementRouteOptions {
  /** Seconds a request's signature timestamp may be from now. Default 300. */
  toleranceSeconds?: number;
}

type BodyRead = { kind: 'complete'; raw: Buffer } | { kind: 'tooLarge'; raw: Buffer } | { kind: 'gone' };

/**
 * Reads the body up to `limit` bytes. It settles however the request ends: complete, over the
 * limit (reading stops there; `raw` holds the first `limit` bytes), or gone (the client closed or
 * the connection failed before the end).
 */
function readBody(request: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    if (request.destroyed) return resolve({ kind: 'gone' });
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyRead) => {
      request.off('data', onData).off('end', onEnd).off('aborted', onGone).off('close', onGone).off('error', onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > limit) {
        request.pause();
        settle({ kind: 'tooLarge', raw: Buffer.concat(chunks).subarray(0, limit) });
      }
    };
    const onEnd = () => settle({ kind: 'complete', raw: Buffer.concat(chunks) });
    const onGone = () => settle({ kind: 'gone' });
    request.on('data', onData).once('end', onEnd).once('aborted', onGone).once('close', onGone).once('error', onGone);
  });
}

/**
 * After answering a request whose body was not read to its end: the connection is not reused, and
 * the rest is read and dropped up to DRAIN_LIMIT_BYTES (so the client, still sending, gets to read
 * the answer); a body longer than that has its connection cut. Nothing of it is kept.
 */
function discardRest(request: IncomingMessage): void {
  if (request.complete || request.destroyed) return;
  let drained = 0;
  request.on('error', () => {});
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) request.destroy();
  });
  request.resume();
}

function excerpt(raw: Buffer): string | null {
  if (!raw.length) return null;
  return new TextDecoder().decode(raw.subarray(0, REJECTED_BODY_EXCERPT_BYTES)).replace(/\uFFFD$/, '').replaceAll('\u0000', '');
}

function send(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  const unread = !request.complete;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(unread ? { connection: 'close' } : {}) });
  response.end(JSON.stringify(body));
  if (unread) discardRest(request);
}

function announcedLength(request: IncomingMessage): number | null {
  const header = request.headers['content-length'];
  return header && /^\d+$/.test(header) ? Number(header) : null;
}

/**
 * POST /webhooks/engagement/<sourceId>: a platform reports an engagement, signed like Joinery's
 * own webhooks. Stored as a touchpoint with its event (200; a repeated id: 200, nothing new), or
 * refused (404 unknown source, 413 too large, 401 signature, 400 body) with only a rejection row.
 * The body is read only for a known source, and never past MAX_ENGAGEMENT_BODY_BYTES; refusals of
 * unauthenticated requests (404, 413, 401) keep no part of it.
 */
export function engagementWebhookRoute(prisma: PrismaClient, options: EngagementRouteOptions = {}) {
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const sourceId = path.slice(ENGAGEMENT_PATH_PREFIX.length).toLowerCase();
    const refuse = async (status: number, knownSourceId: string | null, reason: string, kept: { field?: string; body?: Buffer } = {}) => {
      await recordRejection(prisma, { sourceId: knownSourceId, path, status, reason, bodyExcerpt: kept.body ? excerpt(kept.body) : null });
      send(request, response, status, { error: { status, message: reason, ...(kept.field ? { field: kept.field } : {}) } });
    };

    const source = isUuid(sourceId) ? await prisma.engagementSource.findUnique({ where: { id: sourceId } }) : null;
    if (!source) return refuse(404, null, `No engagement source with id ${JSON.stringify(path.slice(ENGAGEMENT_PATH_PREFIX.length))}`);
    const tooLarge = `Body exceeds ${MAX_ENGAGEMENT_BODY_BYTES} bytes`;
    const announced = announcedLength(request);
    if (announced !== null && announced > MAX_ENGAGEMENT_BODY_BYTES) return refuse(413, source.id, `${tooLarge} (Content-Length ${announced})`);
    const body = await readBody(request, MAX_ENGAGEMENT_BODY_BYTES);
    // The client is gone: there is no one to answer and nothing complete to judge.
    if (body.kind === 'gone') return;
    if (body.kind === 'tooLarge') return refuse(413, source.id, tooLarge);
    const { raw } = body;
    const now = new Date();
    const signature = request.headers['joinery-webhook-signature'];
    const check = verifyWebhookSignature({ secret: sourceSecrets(source, now), header: Array.isArray(signature) ? signature[0] : signature, body: raw, toleranceSeconds, now });
    if (!check.ok) return refuse(401, source.id, `Signature refused (${check.reason}): ${check.message}`);
    const parsed = parseEngagementBody(raw.toString('utf8'), now);
    if (!parsed.ok) return refuse(400, source.id, parsed.message, { field: parsed.field, body: raw });

    const { event } = parsed;
    let campaignId: string | null = null;
    if (event.campaignId) {
      if (!(await campaignExists(prisma, event.campaignId))) return refuse(400, source.id, `campaignId: no campaign with id ${event.campaignId}`, { field: 'campaignId', body: raw });
      campaignId = event.campaignId;
    } else if (event.utm.campaign && (await campaignExists(prisma, event.utm.campaign))) {
      campaignId = event.utm.campaign.toLowerCase();
    }
    const result = await recordTouchpoint(prisma, source.id, event, campaignId);
    send(request, response, 200, { received: true, ...result });
  };
}
