import type pg from 'pg';
import { useReadinessCheck, type Plugin } from 'graphql-yoga';
import { databaseNotReadyReason, expectedMigrations, type ExpectedMigrations } from '../db/readiness.js';
import type { Logger } from '../logger.js';

export interface ReadinessPluginOptions {
  pool: pg.Pool;
  logger: Logger;
  /** The path of the readiness probe. Default: `/ready`. */
  endpoint?: string;
  /**
   * Returns true once the process has begun to shut down, so the probe fails and load balancers
   * stop sending new requests while the in-flight ones finish. Default: never.
   */
  isShuttingDown?: () => boolean;
  /** Default: the migrations shipped with this build. */
  expected?: ExpectedMigrations;
}

/**
 * Serve the readiness probe: 200 `{"status":"ready"}` when the database responds and has every
 * migration of this build, else 503 with the reason. Liveness (`/health`) is graphql-yoga's own
 * check, which returns 200 while the process serves HTTP.
 */
export function useReadiness(options: ReadinessPluginOptions): Plugin {
  const expected = options.expected ?? expectedMigrations();
  let lastReason: string | undefined;

  return useReadinessCheck({
    endpoint: options.endpoint ?? '/ready',
    check: async ({ fetchAPI }) => {
      const reason = options.isShuttingDown?.() ? 'the process is shutting down' : await databaseNotReadyReason(options.pool, expected);
      if (reason !== lastReason && reason !== undefined) {
        options.logger.warn({ reason }, `The readiness probe fails: ${reason}.`);
      }
      lastReason = reason;
      const body = reason === undefined ? { status: 'ready' } : { status: 'not_ready', reason };
      return new fetchAPI.Response(JSON.stringify(body), {
        status: reason === undefined ? 200 : 503,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      });
    },
  });
}
