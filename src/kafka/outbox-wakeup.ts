import type pg from 'pg';
import type { Logger } from '../logger.js';
import { PgEventTarget } from '../pubsub/pg-event-target.js';
import { addPublishOutboxJob } from '../tasks/publish_outbox.js';

/** The channel that the `outbox_events` trigger NOTIFYs when a transaction with events commits. */
export const OUTBOX_CHANNEL = 'outbox_events';

export interface OutboxWakeupOptions {
  /** A direct database URL for LISTEN (a pooler in transaction mode cannot carry it). */
  connectionString: string;
  pool: pg.Pool;
  logger: Logger;
}

export interface OutboxWakeup {
  close(): Promise<void>;
}

/**
 * Add the relay's job whenever events commit. Notifications that arrive while a job is being
 * added are folded into one more add, so a burst of commits costs at most two. At start, and
 * after the LISTEN connection came back, the job is added once unasked, because events may have
 * committed while no process listened. The relay's crontab entry covers any other gap.
 */
export async function startOutboxWakeup(options: OutboxWakeupOptions): Promise<OutboxWakeup> {
  const logger = options.logger.child({ component: 'outbox-wakeup' });
  const target = new PgEventTarget({ connectionString: options.connectionString, pool: options.pool, logger, channel: OUTBOX_CHANNEL });

  let adding: Promise<void> | undefined;
  let again = false;
  const wake = () => {
    if (adding) {
      again = true;
      return;
    }
    adding = addPublishOutboxJob(options.pool)
      .catch((error: unknown) => logger.error({ err: error }, `Adding the outbox relay job failed; the relay's crontab entry runs it within a minute: ${(error as Error).message}`))
      .finally(() => {
        adding = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  };

  // Every notification, and the resync event after a reconnection, carries this topic.
  target.addEventListener(OUTBOX_CHANNEL, wake);
  await target.start();
  wake();
  logger.info(`The outbox relay is woken by NOTIFY on channel ${OUTBOX_CHANNEL}.`);

  return {
    async close() {
      target.removeEventListener(OUTBOX_CHANNEL, wake);
      await target.close();
      await adding;
    },
  };
}
