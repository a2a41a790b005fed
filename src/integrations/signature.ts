import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * HMAC-SHA256 signatures of webhook and callback bodies, as CME and moderation send them to us.
 * The signed string is `${timestamp}.${rawBody}`: the timestamp is inside the signature, so an
 * attacker who captured a request cannot replay it once the tolerance window has passed.
 */

/** `sha256=<hex digest>` of the signed string. */
export const SIGNATURE_HEADER = 'X-Signature';
/** Unix time in whole seconds at which the sender signed the request. */
export const SIGNATURE_TIMESTAMP_HEADER = 'X-Signature-Timestamp';

/** Maximum distance of the timestamp from our clock, either way, unless the caller sets another. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The outcome of a verification. Only `ok` may change anything, and the others map to 401 responses.
 * - `missing_headers`: a header is absent, or the timestamp is not a whole number of seconds;
 * - `stale_timestamp`: the timestamp is outside the tolerance window;
 * - `bad_signature`: the signature is malformed or does not match the body and timestamp.
 */
export type SignatureCheck = 'ok' | 'bad_signature' | 'stale_timestamp' | 'missing_headers';

/** Compute the `sha256=<hex>` value of the signature header. */
export function computeSignature(secret: string, timestamp: number | string, rawBody: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

/** Build the two signature headers for a body, signed now unless `timestamp` (unix seconds) is given. */
export function signatureHeaders(secret: string, rawBody: string | Uint8Array, timestamp = unixSeconds()): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: computeSignature(secret, timestamp, rawBody),
    [SIGNATURE_TIMESTAMP_HEADER]: String(timestamp),
  };
}

export interface VerifySignatureOptions {
  secret: string;
  /** The body exactly as received: re-serialized JSON would not match the signature. */
  rawBody: string | Uint8Array;
  /** The request headers: Fetch `Headers` (the global class or a ponyfill's) or Node's `IncomingHttpHeaders`. */
  headers: HeaderSource;
  /** Default: DEFAULT_TOLERANCE_SECONDS. */
  toleranceSeconds?: number;
  /** Our clock in unix seconds; tests pass it to check the window edges. */
  now?: number;
}

/**
 * Verify a signed request. The timestamp is checked before the signature, so a stale request
 * gets `stale_timestamp` even when its signature is also wrong.
 */
export function verifySignature(options: VerifySignatureOptions): SignatureCheck {
  const signature = readHeader(options.headers, SIGNATURE_HEADER);
  const timestampText = readHeader(options.headers, SIGNATURE_TIMESTAMP_HEADER);
  if (!signature || !timestampText || !/^\d{1,12}$/.test(timestampText)) {
    return 'missing_headers';
  }

  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs((options.now ?? unixSeconds()) - timestamp) > tolerance) {
    return 'stale_timestamp';
  }

  const received = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!received) {
    return 'bad_signature';
  }
  const expected = computeSignature(options.secret, timestampText, options.rawBody).slice('sha256='.length);
  const matches = timingSafeEqual(Buffer.from(received[1]!.toLowerCase(), 'hex'), Buffer.from(expected, 'hex'));
  return matches ? 'ok' : 'bad_signature';
}

/** Anything with a Fetch-style `get`, such as graphql-yoga's ponyfilled Headers, or Node's plain header object. */
export type HeaderSource = Pick<Headers, 'get'> | IncomingHttpHeaders;

function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === 'function') {
    return (headers as Pick<Headers, 'get'>).get(name) ?? undefined;
  }
  const value = (headers as IncomingHttpHeaders)[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
