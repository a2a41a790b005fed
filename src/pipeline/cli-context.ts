import { ConfigError, loadConfig } from '../config.js';
import type { ServiceContext } from '../context.js';
import { openDatabase } from '../db/prisma.js';
import { createIntegrations } from '../integrations/index.js';
import { createLogger } from '../logger.js';
import { releaseWorkerLiveness } from './worker-liveness.js';

let context: Promise<ServiceContext> | undefined;

/**
 * Where the CLI's configuration finds `closeCliContext`. graphile-config loads graphile.config.ts
 * with require() while graphile-worker imports the task files, so the two see separate copies of
 * this module; only the copy the tasks use holds the context.
 */
export const CLOSE_CLI_CONTEXT = Symbol.for('auction-applications.closeCliContext');

/**
 * Build the context of tasks run by the graphile-worker CLI, once per process, from the same
 * environment the service reads. The CLI runs only the worker, so the partners and the database
 * must be reachable at their configured URLs: it starts no sandboxes and no embedded PostgreSQL.
 */
export function loadCliContext(): Promise<ServiceContext> {
  context ??= Promise.resolve().then(() => {
    const config = loadConfig();
    if (!config.DATABASE_URL) {
      throw new ConfigError('DATABASE_URL is missing: the graphile-worker CLI needs the database the service uses.');
    }
    const logger = createLogger({ level: config.LOG_LEVEL });
    const db = openDatabase(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE });
    (globalThis as Record<symbol, unknown>)[CLOSE_CLI_CONTEXT] = closeCliContext;
    return { config, logger, db, integrations: createIntegrations({ config, logger }) };
  });
  return context;
}

/**
 * Close the CLI's context once its worker pool is released. Its open connections would
 * otherwise keep the process alive, and the CLI kills a process that does not exit within a
 * second of its release, with exit code 1.
 */
export async function closeCliContext(): Promise<void> {
  const closing = context;
  context = undefined;
  if (!closing) {
    return;
  }
  const { db, integrations } = await closing;
  await releaseWorkerLiveness(db.pool);
  (integrations.reports as { destroy?: () => void }).destroy?.();
  await db.close();
}
