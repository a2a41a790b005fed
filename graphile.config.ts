import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { WorkerEvents } from 'graphile-worker';
import { createLogger } from './src/logger.js';
import { CLOSE_CLI_CONTEXT } from './src/pipeline/cli-context.js';
import { createGraphileLogger } from './src/pipeline/graphile-logger.js';

/**
 * The graphile-worker CLI's configuration (`npm run worker:cli`): the pipeline's tasks from
 * src/tasks and the crontab file beside this one. The service itself does not read this file;
 * src/worker.ts builds its task list and crontab from the same modules and the environment.
 */
const events: WorkerEvents = new EventEmitter();
events.on('pool:release', () => {
  const close = (globalThis as Record<symbol, (() => Promise<void>) | undefined>)[CLOSE_CLI_CONTEXT];
  close?.().catch((error: unknown) => process.stderr.write(`Closing the worker's connections failed: ${String(error)}\n`));
});

// The CLI adds graphile-worker's WorkerPreset itself; extending it here registers its plugins twice.
const preset: GraphileConfig.Preset = {
  worker: {
    connectionString: process.env.DATABASE_URL,
    taskDirectory: path.join(import.meta.dirname, 'src', 'tasks'),
    crontabFile: path.join(import.meta.dirname, 'crontab'),
    fileExtensions: ['.ts'],
    concurrentJobs: Number(process.env.WORKER_CONCURRENCY ?? 5),
    // The same pino lines as the service's worker, with job and application ids as fields.
    logger: createGraphileLogger(createLogger()),
    events,
  },
};

export default preset;
