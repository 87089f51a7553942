import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Headers on every Joinery webhook request (Stripe's scheme, under Joinery's names). */
export const WEBHOOK_ID_HEADER = 'Joinery-Webhook-Id';
export const WEBHOOK_TIMESTAMP_HEADER = 'Joinery-Webhook-Timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'Joinery-Webhook-Signature';

/** How far a signature's timestamp may be from the receiver's clock, in seconds. Default 300 (5 min). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A fresh signing secret: `whsec_` and 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, body: string | Buffer, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * The `Joinery-Webhook-Signature` value for `body` sent at `timestamp` (unix seconds):
 * `t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>`. Pass several secrets while one is being
 * rotated: each gets a v1 entry, and a receiver holding either accepts the request.
 */
export function signWebhook(secret: string | string[], body: string | Buffer, timestamp: number): string {
  const secrets = Array.isArray(secret) ? secret : [secret];
  return [`t=${timestamp}`, ...secrets.map((each) => `v1=${hmacHex(each, body, timestamp)}`)].join(',');
}

export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure; message: string };

export interface VerifyWebhookSignatureInput {
  /** One secret, or several (e.g. old and new during a rotation): any of them may match. */
  secret: string | string[];
  /** The `Joinery-Webhook-Signature` header as received. */
  header: string | null | undefined;
  /** The raw request body, exactly as received (not re-serialised JSON). */
  body: string | Buffer;
  /** Default 300. */
  toleranceSeconds?: number;
  /** The receiver's clock. Default now. */
  now?: Date;
}

/**
 * Checks a `Joinery-Webhook-Signature` header: its timestamp must be within `toleranceSeconds` of
 * `now` (stops replays) and one of its v1 entries must equal the HMAC of `"<t>.<body>"` under one
 * of the secrets, compared in constant time.
 */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): SignatureCheck {
  const header = input.header?.trim();
  if (!header) return { ok: false, reason: 'missing', message: `no ${WEBHOOK_SIGNATURE_HEADER} header` };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (rest.length || value === undefined) continue;
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || !signatures.length) {
    return { ok: false, reason: 'malformed', message: `${WEBHOOK_SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<64 hex digits>` };
  }
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    return { ok: false, reason: 'stale', message: `signature timestamp ${timestamp} is ${nowSeconds - timestamp} s from now; at most ${tolerance} s is accepted` };
  }
  const secrets = Array.isArray(input.secret) ? input.secret : [input.secret];
  let matched = false;
  // Every pair is compared, so the time taken says nothing about which (if any) matched.
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, input.body, timestamp), 'hex');
    for (const signature of signatures) matched = timingSafeEqual(expected, signature) || matched;
  }
  return matched ? { ok: true, timestamp } : { ok: false, reason: 'mismatch', message: 'no v1 signature matches the body under the signing secret' };
}
