/**
 * Keys whose values are never written to the audit log: webhook signing secrets and
 * Authorization headers, passwords, tokens, API keys. Matched anywhere in the key, ignoring case
 * (`authorizationHeader`, `newPassword`, `klaviyoApiKey`), at any depth.
 */
export const SECRET_KEY = /secret|password|token|authorization|apiKey|signingKey|authorizationHeader/i;

/**
 * Keys whose string values are URLs (`url`, `webhookUrl`, `callbackURL`, `endpoint`, `redirectUri`,
 * `urls`). Webhook URLs carry their secret in the path (`https://hooks.slack.com/services/T/B/…`),
 * the query (`?api_key=…`) or the userinfo (`https://user:pass@host`), so only the scheme and
 * host are kept: which service was called, never how it was authenticated.
 */
export const URL_KEY = /(?:url|uri|endpoint)s?$/i;

export const REDACTED = '[REDACTED]';

/**
 * `scheme://host[:port]` of `value`, followed by "/[REDACTED]" when it had anything more (a path,
 * a query, a fragment or userinfo). A string that is not an absolute URL with a host may be
 * anything, a bare secret included: it goes whole.
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return REDACTED;
  }
  if (!url.host) return REDACTED;
  const origin = `${url.protocol}//${url.host}`;
  const bare = !url.username && !url.password && (url.pathname === '' || url.pathname === '/') && !url.search && !url.hash;
  return bare ? origin : `${origin}/${REDACTED}`;
}

/** A URL key's value: its strings (also in a list) redacted as URLs; an object's own keys decide for it. */
function redactUrlValue(value: unknown): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map(redactUrlValue);
  return redactSecrets(value);
}

/**
 * A copy of `value` with every value under a secret-looking key replaced by "[REDACTED]", and every
 * string under a URL-looking key cut down to its scheme and host (see `redactUrl`), recursively
 * through objects and arrays. A secret is redacted whatever its type: an object under
 * `credentials.apiKey` goes whole.
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => {
      if (SECRET_KEY.test(key)) return [key, REDACTED];
      if (URL_KEY.test(key)) return [key, redactUrlValue(inner)];
      return [key, redactSecrets(inner)];
    }));
  }
  return value;
}
