/**
 * A pipeline worker in a process of its own, for tests that kill it. It reads the same settings
 * as the service, prints `ready` once the worker runs, and never stops by itself.
 */
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/prisma.js';
import { createIntegrations } from '../../src/integrations/index.js';
import { createLogger } from '../../src/logger.js';
import { startWorker } from '../../src/worker.js';

const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'test-worker-process' });
const db = openDatabase(config.DATABASE_URL!);
await startWorker({ config, logger, db, integrations: createIntegrations({ config, logger }) }, { cron: false, pollInterval: 200 });
process.stdout.write('ready\n');
