import { parseArgs } from 'node:util';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadEnv, ROLES, signUserToken, type Role } from '@joinery/core';

const USAGE = 'npm run token -- --role <admin|manager|associate|analyst|marketer> --locations <id,id|*> [--subject <name>] [--expires <8h|30m|7d|seconds>]';

/** A bad command line: the message says what was wrong and shows the usage. */
export class TokenUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\nUsage: ${USAGE}`);
    this.name = 'TokenUsageError';
  }
}

/** `8h`, `30m`, `7d`, `45s` or plain seconds, as seconds. */
export function parseDuration(value: string): number {
  const match = value.trim().match(/^(\d+)\s*([smhd]?)$/i);
  if (!match) throw new TokenUsageError(`--expires ${JSON.stringify(value)} is not a duration: use e.g. 30m, 8h, 7d or a number of seconds`);
  const seconds = Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds < 1 || seconds > 366 * 86_400) throw new TokenUsageError(`--expires ${value} must be between 1 second and 366 days`);
  return seconds;
}

export interface MintedToken {
  token: string;
  /** Said on stderr, beside the token: which key signed it, and anything the router will see differently. */
  notes: string[];
}

/**
 * `npm run token`: a user token the router accepts, signed with JWT_SECRET or, outside production,
 * the development secret. In production without JWT_SECRET it refuses (an identity provider
 * issues the tokens there).
 */
export async function mintToken(argv: string[], source: NodeJS.ProcessEnv = process.env): Promise<MintedToken> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { role: { type: 'string' }, locations: { type: 'string' }, subject: { type: 'string' }, expires: { type: 'string' } }, strict: true, allowPositionals: false }) as { values: Record<string, string | undefined> });
  } catch (error) {
    throw new TokenUsageError((error as Error).message);
  }
  if (!values.role) throw new TokenUsageError('--role is required');
  if (!ROLES.includes(values.role as Role)) throw new TokenUsageError(`Unknown role ${JSON.stringify(values.role)}: use one of ${ROLES.join(', ')}`);
  const role = values.role as Role;
  const locations = (values.locations ?? (role === 'admin' ? '*' : '')).split(',').map((id) => id.trim()).filter(Boolean);
  if (!locations.length) throw new TokenUsageError(`--locations is required for the ${role} role: location ids separated by commas, or "*" for every location`);
  const expiresInSeconds = parseDuration(values.expires ?? '8h');

  const env = loadEnv(source);
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
    throw new ConfigError(['JWT_SECRET: required to mint tokens when NODE_ENV=production (the development secret is refused there; with JWKS_URL, get tokens from your identity provider)']);
  }
  const notes = [env.JWT_SECRET ? 'Signed with JWT_SECRET.' : 'Signed with the development secret (JWT_SECRET unset): only a router without JWT_SECRET or JWKS_URL accepts it.'];
  if (env.JWKS_URL) notes.push('JWKS_URL is set: that router accepts only RS256/ES256 tokens from your identity provider, not this one.');
  if (env.JWT_ROLE_CLAIM !== 'role' || env.JWT_LOCATIONS_CLAIM !== 'locations') notes.push(`The token carries role/locations claims, but the router reads ${env.JWT_ROLE_CLAIM}/${env.JWT_LOCATIONS_CLAIM}.`);
  if (role === 'admin' && !locations.includes('*')) notes.push('An admin may act at every location whatever --locations says.');
  const token = await signUserToken({ subject: values.subject ?? `dev-${role}`, role, locations, expiresInSeconds, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE }, env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET);
  return { token, notes };
}
