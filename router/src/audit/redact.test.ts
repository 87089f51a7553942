import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets, redactUrl } from './redact';

describe('redactSecrets', () => {
  it('replaces the values of secret-looking keys at any depth, in objects and arrays, ignoring case', () => {
    const variables = {
      input: {
        name: 'HubSpot',
        authorizationHeader: 'Bearer abc',
        nested: [{ signingSecret: 's1', keep: 1 }, { APIKEY: 'k', Password: 'p', refreshToken: 't', signingKey: 'sk' }],
      },
      Authorization: { scheme: 'Basic', value: 'dXNlcjpwYXNz' },
      first: 10,
    };
    expect(redactSecrets(variables)).toEqual({
      input: {
        name: 'HubSpot',
        authorizationHeader: REDACTED,
        nested: [{ signingSecret: REDACTED, keep: 1 }, { APIKEY: REDACTED, Password: REDACTED, refreshToken: REDACTED, signingKey: REDACTED }],
      },
      // The whole object under a secret key goes, not only its strings.
      Authorization: REDACTED,
      first: 10,
    });
  });

  it('keeps only the scheme and host of URLs under url, endpoint and uri keys (any case, any prefix, lists too)', () => {
    const variables = {
      input: {
        url: 'https://hooks.slack.com/services/T0001/B0002/XXXXsecretXXXX',
        webhookUrl: 'https://api.example.com/events?api_key=k-123',
        callbackURL: 'https://ops:hunter2@hooks.example:8443',
        endpoint: 'https://in.example/#token=abc',
        redirectUri: 'https://app.example/',
        mirrorUrls: ['https://a.example/x/y', 'http://b.example'],
        homepageUrl: 'not a url: s3cr3t',
        emptyUrl: null,
        // Under a URL key, an object's own keys decide: only its url is cut down.
        targetEndpoint: { url: 'https://c.example/path', method: 'POST' },
        urlTemplate: 'https://keep.example/path/{id}',
      },
    };
    expect(redactSecrets(variables)).toEqual({
      input: {
        url: `https://hooks.slack.com/${REDACTED}`,
        webhookUrl: `https://api.example.com/${REDACTED}`,
        callbackURL: `https://hooks.example:8443/${REDACTED}`,
        endpoint: `https://in.example/${REDACTED}`,
        redirectUri: 'https://app.example',
        mirrorUrls: [`https://a.example/${REDACTED}`, 'http://b.example'],
        homepageUrl: REDACTED,
        emptyUrl: null,
        targetEndpoint: { url: `https://c.example/${REDACTED}`, method: 'POST' },
        // Only keys that end in url, uri or endpoint (or their plural) hold URLs.
        urlTemplate: 'https://keep.example/path/{id}',
      },
    });
  });

  it('leaves other keys and values as they are, and does not change its argument', () => {
    const variables = { input: { locationId: 'a', sku: 'OAK', delta: -2, idempotencyKey: 'k-1', reference: 'https://not.a.url.key/x', tags: ['x', 'y'] } };
    const copy = structuredClone(variables);
    expect(redactSecrets(variables)).toEqual(copy);
    const withSecret = { input: { secret: 'x', url: 'https://h.example/p' } };
    redactSecrets(withSecret);
    expect(withSecret.input).toEqual({ secret: 'x', url: 'https://h.example/p' });
  });
});

describe('redactUrl', () => {
  it('keeps a bare origin, and redacts anything that is not an absolute URL with a host', () => {
    expect(redactUrl('https://hooks.example')).toBe('https://hooks.example');
    expect(redactUrl('https://hooks.example/')).toBe('https://hooks.example');
    expect(redactUrl('https://hooks.example?x=1')).toBe(`https://hooks.example/${REDACTED}`);
    expect(redactUrl('hooks.slack.com/services/T/B/secret')).toBe(REDACTED);
    expect(redactUrl('mailto:ops@example.com')).toBe(REDACTED);
    expect(redactUrl('')).toBe(REDACTED);
  });
});
