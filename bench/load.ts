import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One HTTP load run: a fixed number of requests at a fixed concurrency. */
export interface LoadOptions {
  url: string;
  /** Requests in flight at once, one per connection. */
  connections: number;
  /** Requests to send in all. */
  amount: number;
  /** Build the body and headers of the request numbered `index` (from 0), so that each can differ. */
  makeRequest(index: number): { body: string; headers?: Record<string, string> };
  /** Whether a 200 response body is the operation's success; anything else counts as a failure. */
  isSuccess(body: string): boolean;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not a success, and connection errors and timeouts. */
  failures: number;
  /** The body of the first failure, to show what went wrong. */
  firstFailure?: string;
}

/**
 * Send the load with autocannon. A GraphQL server returns errors with status 200, so every body
 * is checked: a run with failures still returns figures, and the caller decides what to do.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let lastResponseAt = 0;

  // autocannon notices that `amount` is reached only at its next sample tick, so the rate is
  // taken from the time of the last response instead of autocannon's duration.
  const startedAt = performance.now();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    amount: options.amount,
    sampleInt: 100,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest(request) {
          const built = options.makeRequest(next);
          next += 1;
          return { ...request, method: 'POST', body: built.body, headers: { 'content-type': 'application/json', ...built.headers } };
        },
        onResponse(status, body) {
          lastResponseAt = performance.now();
          if (status !== 200 || !options.isSuccess(body)) {
            failures += 1;
            firstFailure ??= `HTTP ${status}: ${body.slice(0, 500)}`;
          }
        },
      },
    ],
  });

  const completed = result['2xx'] + result.non2xx;
  return {
    requestsPerSecond: completed / ((lastResponseAt - startedAt) / 1000),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: completed,
    failures: failures + result.errors + result.timeouts,
    firstFailure: firstFailure ?? (result.errors + result.timeouts > 0 ? `${result.errors} connection errors and ${result.timeouts} timeouts` : undefined),
  };
}
