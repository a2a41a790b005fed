import pRetry, { AbortError } from 'p-retry';
import type { Logger } from '../logger.js';

/**
 * The HTTP client every partner integration uses: a timeout per attempt, retries with
 * exponential backoff for timeouts, network errors, 429 and 5xx responses, and one typed error
 * when the partner still fails.
 */

export type PartnerErrorKind =
  /** No response within the timeout. */
  | 'timeout'
  /** The connection failed, or the partner responded with 429 or 5xx. */
  | 'unavailable'
  /** The partner responded with 4xx: our request is wrong, and repeating it will not help. */
  | 'rejected'
  /** The partner responded with 2xx and a body that breaks the contract. */
  | 'invalid_response';

export class PartnerError extends Error {
  override name = 'PartnerError';

  constructor(
    readonly partner: string,
    readonly kind: PartnerErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether a later attempt may succeed, so a job should retry instead of giving up. */
  get transient(): boolean {
    return this.kind === 'timeout' || this.kind === 'unavailable';
  }
}

export interface PartnerHttpClientOptions {
  /** The partner's name, in errors, logs and metrics. */
  partner: string;
  baseUrl: string;
  /** Time limit of one attempt in milliseconds. Default: 5000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default: 3. */
  retries?: number;
  /** Delay before the first retry in milliseconds; each next one doubles. Default: 200. */
  minRetryDelayMs?: number;
  /** Headers sent with every request, such as an API key. */
  headers?: Record<string, string>;
  logger?: Logger;
  /** Called after every attempt, for metrics. */
  onAttempt?: (attempt: { partner: string; operation: string; durationMs: number; outcome: 'ok' | PartnerErrorKind }) => void;
}

export interface PartnerRequest {
  /** A short name of the call for logs and metrics, such as `order_report`. */
  operation: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  json?: unknown;
  headers?: Record<string, string>;
  /** Statuses besides 2xx that the caller handles itself, such as 404 for "not ready". */
  acceptStatuses?: number[];
}

export interface PartnerResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  json<T = unknown>(): T;
  text(): string;
}

export class PartnerHttpClient {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly minRetryDelayMs: number;

  constructor(private readonly options: PartnerHttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 3;
    this.minRetryDelayMs = options.minRetryDelayMs ?? 200;
  }

  get partner(): string {
    return this.options.partner;
  }

  /** Send a request, retrying transient failures. Throws PartnerError when it still fails. */
  async request(request: PartnerRequest): Promise<PartnerResponse> {
    return pRetry(() => this.attempt(request), {
      retries: this.retries,
      minTimeout: this.minRetryDelayMs,
      factor: 2,
      maxTimeout: 5000,
      randomize: true,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        this.options.logger?.warn(
          { partner: this.partner, operation: request.operation, attempt: attemptNumber, retriesLeft, err: error },
          `Partner ${this.partner} call ${request.operation} failed on attempt ${attemptNumber}; ${retriesLeft} retries left.`,
        );
      },
    }).catch((error: unknown) => {
      throw error instanceof PartnerError
        ? error
        : new PartnerError(this.partner, 'unavailable', `${this.partner} ${request.operation} failed: ${String(error)}`, undefined, { cause: error });
    });
  }

  private async attempt(request: PartnerRequest): Promise<PartnerResponse> {
    const started = performance.now();
    // The `./` keeps a first segment with a colon, such as Telegram's `bot123:token`, from being read as a URL scheme.
    const url = new URL(`./${request.path.replace(/^\//, '')}`, this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...request.headers };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
    }

    const report = (outcome: 'ok' | PartnerErrorKind) =>
      this.options.onAttempt?.({ partner: this.partner, operation: request.operation, durationMs: performance.now() - started, outcome });

    let response: Response;
    let bytes: Uint8Array;
    try {
      response = await fetch(url, { method: request.method ?? 'GET', headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      report(timedOut ? 'timeout' : 'unavailable');
      throw new PartnerError(
        this.partner,
        timedOut ? 'timeout' : 'unavailable',
        timedOut
          ? `${this.partner} ${request.operation} timed out after ${this.timeoutMs} ms (${url.origin}).`
          : `${this.partner} ${request.operation} could not connect to ${url.origin}: ${(error as Error).message}.`,
        undefined,
        { cause: error },
      );
    }

    const accepted = response.ok || request.acceptStatuses?.includes(response.status);
    if (!accepted) {
      const transient = response.status === 429 || response.status >= 500;
      const kind = transient ? 'unavailable' : 'rejected';
      report(kind);
      const detail = new TextDecoder().decode(bytes.slice(0, 300));
      const error = new PartnerError(this.partner, kind, `${this.partner} ${request.operation} responded with HTTP ${response.status}: ${detail}`, response.status);
      // A 4xx response means the request itself is wrong: retrying it would only repeat the response.
      throw transient ? error : new AbortError(error);
    }

    report('ok');
    return {
      status: response.status,
      headers: response.headers,
      body: bytes,
      text: () => new TextDecoder().decode(bytes),
      json: <T>() => {
        try {
          return JSON.parse(new TextDecoder().decode(bytes)) as T;
        } catch (error) {
          throw new PartnerError(this.partner, 'invalid_response', `${this.partner} ${request.operation} responded with a body that is not JSON.`, response.status, {
            cause: error,
          });
        }
      },
    };
  }
}
