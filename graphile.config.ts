import path from 'node:path';
import type {} from 'graphile-worker';

/**
 * The graphile-worker CLI's configuration (`npm run worker:cli`): the pipeline's tasks from
 * src/tasks and the crontab file beside this one. The service itself does not read this file;
 * src/worker.ts builds its task list and crontab from the same modules and the environment.
 */
// The CLI adds graphile-worker's WorkerPreset itself; extending it here registers its plugins twice.
const preset: GraphileConfig.Preset = {
  worker: {
    connectionString: process.env.DATABASE_URL,
    taskDirectory: path.join(import.meta.dirname, 'src', 'tasks'),
    crontabFile: path.join(import.meta.dirname, 'crontab'),
    fileExtensions: ['.ts'],
    concurrentJobs: Number(process.env.WORKER_CONCURRENCY ?? 5),
  },
};

export default preset;
