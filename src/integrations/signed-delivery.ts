import pRetry from 'p-retry';
import type { Logger } from '../logger.js';
import { signatureHeaders } from './signature.js';

/**
 * Outgoing signed callbacks, as partners send them to us: the CME sandbox's webhooks and the
 * moderation verdicts delivered over HTTP. A delivery counts only on a 2xx response. Anything else
 * is retried with backoff, because our endpoint may be restarting or may not have committed
 * the record the callback refers to yet.
 */

export class DeliveryError extends Error {
  override name = 'DeliveryError';

  constructor(
    readonly url: string,
    /** The HTTP status, absent when no response arrived. */
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SignedPostOptions {
  url: string;
  secret: string;
  /** Serialized once; the signature covers exactly these bytes. */
  body: unknown;
  /** Time limit of the request in milliseconds. Default: 5000. */
  timeoutMs?: number;
  /** Signing time in unix seconds. Default: now. Tests pass an old one to get a stale request. */
  timestamp?: number;
}

/** POST a signed JSON body. Resolves with the status of a 2xx response, and throws DeliveryError otherwise. */
export async function postSignedJson(options: SignedPostOptions): Promise<number> {
  const rawBody = JSON.stringify(options.body);
  const headers = { 'content-type': 'application/json', ...signatureHeaders(options.secret, rawBody, options.timestamp) };
  let response: Response;
  try {
    response = await fetch(options.url, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
  } catch (error) {
    throw new DeliveryError(options.url, undefined, `POST ${options.url} failed: ${(error as Error).message}.`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    throw new DeliveryError(options.url, response.status, `POST ${options.url} returned HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  return response.status;
}

export interface RetryDeliveryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** Delay before the first retry in milliseconds; each next one doubles, up to `maxDelayMs`. */
  minDelayMs: number;
  /** Default: 5000. */
  maxDelayMs?: number;
  /** Aborting stops the retries, as when a sandbox closes. */
  signal?: AbortSignal;
  logger?: Logger;
  /** Description of the delivery for the logs, such as `CME webhook evaluation.done 42`. */
  description: string;
}

/**
 * Run `send` until it succeeds, the retries run out or the signal aborts. It never throws, because it
 * runs in the background of a sandbox. It logs a final failure (unless the signal aborted) and
 * resolves `false` instead.
 */
export async function deliverWithRetries(send: () => Promise<void>, options: RetryDeliveryOptions): Promise<boolean> {
  try {
    await pRetry(send, {
      retries: options.retries,
      minTimeout: options.minDelayMs,
      maxTimeout: options.maxDelayMs ?? 5000,
      factor: 2,
      signal: options.signal,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        options.logger?.warn(
          { err: error, attempt: attemptNumber, retriesLeft },
          `Delivery of ${options.description} failed on attempt ${attemptNumber}; ${retriesLeft} retries left.`,
        );
      },
    });
    return true;
  } catch (error) {
    if (!options.signal?.aborted) {
      options.logger?.error({ err: error }, `Delivery of ${options.description} failed after ${options.retries + 1} attempts and is dropped.`);
    }
    return false;
  }
}
