import { SignJWT } from 'jose';
import type { Role } from './identity';

/**
 * Signs user tokens when JWT_SECRET is unset outside production (`npm start`, tests, `npm run
 * token`). Anyone can read it here: production refuses to start with it.
 */
export const DEVELOPMENT_JWT_SECRET = 'joinery-development-jwt-secret-do-not-deploy';

export interface UserTokenClaims {
  subject: string;
  role: Role;
  /** Location ids, or `['*']` for every location. */
  locations: readonly string[];
  /** Seconds until it expires. Default 8 hours. */
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
}

/** An HS256 user token as the router accepts it, with `role` and `locations` claims. */
export async function signUserToken(claims: UserTokenClaims, secret: string = process.env.JWT_SECRET || DEVELOPMENT_JWT_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ role: claims.role, locations: [...claims.locations] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 8 * 3600));
  if (claims.issuer ?? process.env.JWT_ISSUER) jwt = jwt.setIssuer((claims.issuer ?? process.env.JWT_ISSUER)!);
  if (claims.audience ?? process.env.JWT_AUDIENCE) jwt = jwt.setAudience((claims.audience ?? process.env.JWT_AUDIENCE)!);
  return jwt.sign(new TextEncoder().encode(secret));
}
