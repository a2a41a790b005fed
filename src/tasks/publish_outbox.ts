import type { JobHelpers, Task } from 'graphile-worker';
import type pg from 'pg';
import { ConfigError } from '../config.js';
import { createKafkaClient, isKafkaConfigured } from '../kafka/client.js';
import { publishOutbox } from '../kafka/outbox-relay.js';
import { createRecordPublisher, type RecordPublisher } from '../kafka/publisher.js';
import type { Logger } from '../logger.js';

/**
 * The outbox relay as a graphile-worker task. Workers with Kafka configured add this job, under
 * the job key `publish_outbox`, when a transaction with events commits (see outbox-wakeup.ts),
 * and the crontab entry adds it every minute as a safety net. Without Kafka nothing adds it, and
 * the events wait in the table.
 *
 * During a broker outage the job fails and graphile-worker retries it with exponential backoff.
 * Each new event, and the crontab entry every minute, resets that backoff through the job key,
 * so the relay tries again at least once a minute and never runs out of attempts while it waits.
 */

export const PUBLISH_OUTBOX_TASK = 'publish_outbox';

/** How long a relay that found another relay at work waits before it looks again, in milliseconds. */
const BUSY_RETRY_MS = 250;

export interface PublishOutboxTaskOptions {
  pool: pg.Pool;
  publisher: RecordPublisher;
  /** The events topic (KAFKA_EVENTS_TOPIC). */
  topic: string;
  logger: Logger;
  /** Events per send. Default: 200. */
  batchSize?: number;
}

/** Create the `publish_outbox` task for the worker's task list. */
export function createPublishOutboxTask(options: PublishOutboxTaskOptions): Task {
  return async (_payload, helpers) => {
    const { job } = helpers;
    const logger = options.logger.child({ jobId: job.id, task: PUBLISH_OUTBOX_TASK, attempt: job.attempts });
    const result = await publishOutbox({ ...options, logger, signal: helpers.abortSignal });

    if (result.outcome === 'busy') {
      // The running relay may have looked for events just before this job's events committed,
      // so this job comes back once that relay's batch is over.
      await requeue(helpers, new Date(Date.now() + BUSY_RETRY_MS));
      logger.debug(`Job ${job.id} found another outbox relay at work and runs again in ${BUSY_RETRY_MS} ms.`);
    } else if (result.outcome === 'aborted') {
      await requeue(helpers, new Date());
      logger.info(`Job ${job.id} stopped the outbox relay for the shutdown after ${result.published} events; another worker continues.`);
    }
  };
}

/**
 * Return the crontab line of the relay's safety net, in graphile-worker's crontab format: every minute,
 * under the relay's job key, so that it runs after a lost wake-up and cuts a long retry backoff.
 */
export function publishOutboxCrontab(): string {
  return `* * * * * ${PUBLISH_OUTBOX_TASK} ?jobKey=${PUBLISH_OUTBOX_TASK}`;
}

/**
 * Add the relay's job unless one is pending. A pending job keeps its run time (`preserve_run_at`),
 * except one that failed, which runs again at once, because new events are a reason to retry.
 */
export async function addPublishOutboxJob(pool: pg.Pool): Promise<void> {
  await pool.query(`SELECT graphile_worker.add_job($1, '{}'::json, job_key => $1, job_key_mode => 'preserve_run_at')`, [PUBLISH_OUTBOX_TASK]);
}

function requeue(helpers: JobHelpers, runAt: Date): Promise<unknown> {
  return helpers.addJob(PUBLISH_OUTBOX_TASK, {}, { jobKey: PUBLISH_OUTBOX_TASK, jobKeyMode: 'preserve_run_at', runAt });
}

let cliTask: Task | undefined;

/**
 * The task for the graphile-worker CLI, built on its first job from the environment through the
 * pipeline's CLI context. It needs KAFKA_BROKERS.
 */
const publishOutboxCli: Task = async (payload, helpers) => {
  if (!cliTask) {
    const { loadCliContext } = await import('../pipeline/cli-context.js');
    const ctx = await loadCliContext();
    if (!isKafkaConfigured(ctx.config)) {
      throw new ConfigError('KAFKA_BROKERS is missing: the outbox relay publishes to Kafka, so run it only where a broker is configured.');
    }
    const publisher = createRecordPublisher(createKafkaClient(ctx.config, ctx.logger), ctx.logger);
    cliTask = createPublishOutboxTask({ pool: ctx.db.pool, publisher, topic: ctx.config.KAFKA_EVENTS_TOPIC, logger: ctx.logger });
  }
  return cliTask(payload, helpers);
};

export default publishOutboxCli;
