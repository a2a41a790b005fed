import { describe, expect, it } from 'vitest';
import { computeSignature, signatureHeaders, verifySignature } from '../src/integrations/signature.js';

const secret = 'test-webhook-secret-0123456789';
const rawBody = '{"eventId":"evt-1","type":"evaluation.done","evaluationId":42}';
const now = 1_800_000_000;

function verify(headers: Record<string, string>, body = rawBody, options: { secret?: string; now?: number } = {}) {
  return verifySignature({ secret: options.secret ?? secret, rawBody: body, headers: new Headers(headers), toleranceSeconds: 300, now: options.now ?? now });
}

describe('verifySignature', () => {
  it('accepts a fresh signed body', () => {
    expect(verify(signatureHeaders(secret, rawBody, now))).toBe('ok');
  });

  it('accepts Node incoming headers', () => {
    const headers = Object.fromEntries(Object.entries(signatureHeaders(secret, rawBody, now)).map(([name, value]) => [name.toLowerCase(), value]));
    expect(verifySignature({ secret, rawBody: Buffer.from(rawBody), headers, now })).toBe('ok');
  });

  it('rejects a changed body', () => {
    expect(verify(signatureHeaders(secret, rawBody, now), rawBody.replace('42', '43'))).toBe('bad_signature');
  });

  it('rejects another secret', () => {
    expect(verify(signatureHeaders('another-secret-0123456789', rawBody, now))).toBe('bad_signature');
  });

  it('rejects a changed timestamp', () => {
    const headers = signatureHeaders(secret, rawBody, now);
    headers['X-Signature-Timestamp'] = String(now - 1);
    expect(verify(headers)).toBe('bad_signature');
  });

  it('rejects a malformed signature', () => {
    expect(verify({ 'X-Signature': 'sha256=zz', 'X-Signature-Timestamp': String(now) })).toBe('bad_signature');
  });

  it('rejects a timestamp past the window', () => {
    expect(verify(signatureHeaders(secret, rawBody, now - 301))).toBe('stale_timestamp');
    expect(verify(signatureHeaders(secret, rawBody, now + 301))).toBe('stale_timestamp');
  });

  it('accepts the edges of the window', () => {
    expect(verify(signatureHeaders(secret, rawBody, now - 300))).toBe('ok');
    expect(verify(signatureHeaders(secret, rawBody, now + 300))).toBe('ok');
  });

  it('rejects missing or malformed headers', () => {
    const signed = signatureHeaders(secret, rawBody, now);
    expect(verify({ 'X-Signature-Timestamp': String(now) })).toBe('missing_headers');
    expect(verify({ 'X-Signature': signed['X-Signature']! })).toBe('missing_headers');
    expect(verify({ 'X-Signature': signed['X-Signature']!, 'X-Signature-Timestamp': 'yesterday' })).toBe('missing_headers');
  });
});

describe('computeSignature', () => {
  it('signs the timestamp, a dot and the body', () => {
    // HMAC-SHA256 of "1800000000.{}" under "key", computed independently with openssl.
    expect(computeSignature('key', 1_800_000_000, '{}')).toBe('sha256=7321475872b03ff21bdc2dfd86ea2d99ec29c479fbe4a77aa6acf4509505493f');
  });
});

describe('verifySignature header sources', () => {
  it('accepts any object with get', () => {
    const signed = new Headers(signatureHeaders(secret, rawBody, now));
    const ponyfill = { get: (name: string) => signed.get(name) };
    expect(verifySignature({ secret, rawBody, headers: ponyfill, now })).toBe('ok');
  });
});
