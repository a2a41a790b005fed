import { ConfigError, loadConfig } from '../config.js';
import type { ServiceContext } from '../context.js';
import { openDatabase } from '../db/prisma.js';
import { createIntegrations } from '../integrations/index.js';
import { createLogger } from '../logger.js';

let context: Promise<ServiceContext> | undefined;

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
    return { config, logger, db, integrations: createIntegrations({ config, logger }) };
  });
  return context;
}
