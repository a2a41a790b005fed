import { EventEmitter } from 'node:events';
import { parseCrontab, run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import type { ServiceContext } from './context.js';
import { pipelineCrontab } from './pipeline/crontab.js';
import { createGraphileLogger } from './pipeline/graphile-logger.js';
import { createTaskList } from './pipeline/task-list.js';
import { registerWorkerLiveness, releaseWorkerLiveness, unlockCrashedWorkers } from './pipeline/worker-liveness.js';

export interface StartWorkerOptions {
  /** Jobs run at once in this process. Default: config.WORKER_CONCURRENCY. */
  concurrency?: number;
  /** Tasks of other modules, such as the outbox relay, run beside the pipeline's. */
  tasks?: TaskList;
  /** Crontab lines of other modules, in graphile-worker's crontab format. */
  crontab?: string[];
  /** Whether to run the crontab (CARFAX polls, the sweep and `crontab`). Default: true. */
  cron?: boolean;
  /** How often to look for jobs due later, such as retries, in milliseconds. Default: 2000. */
  pollInterval?: number;
  /**
   * Job locks younger than this are not released at start even when their worker is gone,
   * because a starting worker may not hold its liveness lock yet. Default: 30.
   */
  unlockGraceSeconds?: number;
  /**
   * Whether the process is shutting down, so that losing the database then is logged as part of
   * the shutdown. Default: from the moment stop() is called.
   */
  isShuttingDown?: () => boolean;
}

export interface PipelineWorker {
  runner: Runner;
  /** Stop taking jobs, wait for the running ones, then release the liveness locks. */
  stop(): Promise<void>;
}

/**
 * Start graphile-worker with the pipeline's tasks and crontab on the service's database pool.
 * Jobs left locked by worker processes that died are released first, so their applications do
 * not wait for graphile-worker's four-hour lock timeout.
 */
export async function startWorker(ctx: ServiceContext, options: StartWorkerOptions = {}): Promise<PipelineWorker> {
  const { db, logger, config } = ctx;
  const workerLogger = logger.child({ component: 'worker' });

  try {
    await unlockCrashedWorkers(db.pool, workerLogger, { graceSeconds: options.unlockGraceSeconds });
  } catch (error) {
    workerLogger.error({ err: error }, 'Releasing the jobs of crashed workers failed at start; the sweep tries again later.');
  }

  let stopRequested = false;
  const isShuttingDown = () => stopRequested || (options.isShuttingDown?.() ?? false);

  const events: WorkerEvents = new EventEmitter();
  events.on('pool:create', ({ workerPool }) => {
    registerWorkerLiveness(db.pool, workerPool.id, workerLogger, { isShuttingDown }).catch((error: unknown) =>
      workerLogger.error({ err: error, workerPoolId: workerPool.id }, `Worker pool ${workerPool.id} could not take its liveness lock; other workers may release its jobs early.`),
    );
  });
  events.on('job:failed', ({ job, error }) => {
    workerLogger.error(
      { err: error, jobId: job.id, task: job.task_identifier, attempt: job.attempts },
      `Job ${job.id} (${job.task_identifier}) failed for the last time on attempt ${job.attempts} of ${job.max_attempts}; the sweep will queue its stage again.`,
    );
  });

  const crontab = options.cron === false ? '' : [pipelineCrontab(config), ...(options.crontab ?? [])].join('\n');
  const runner = await run({
    pgPool: db.pool,
    taskList: { ...createTaskList(ctx), ...options.tasks },
    parsedCronItems: parseCrontab(crontab),
    concurrency: options.concurrency ?? config.WORKER_CONCURRENCY,
    pollInterval: options.pollInterval,
    logger: createGraphileLogger(logger),
    events,
    // main.ts owns the process signals, so that the API and the worker stop in one order.
    noHandleSignals: true,
  });
  workerLogger.info(`The worker started with concurrency ${options.concurrency ?? config.WORKER_CONCURRENCY}.`);

  let stopping: Promise<void> | undefined;
  return {
    runner,
    stop() {
      stopRequested = true;
      stopping ??= (async () => {
        await runner.stop();
        await releaseWorkerLiveness(db.pool);
        workerLogger.info('The worker stopped after its running jobs finished.');
      })();
      return stopping;
    },
  };
}
