import type { Config } from '../config.js';
import { TASK } from './jobs.js';

/**
 * The pipeline's crontab, in graphile-worker's crontab format (UTC). Each entry has a job key,
 * so a worker that fell behind keeps one pending run instead of piling them up, and `max=3`, so
 * a failing run gives up before the next one is due.
 *
 * The sweep runs every STUCK_AFTER_MINUTES / 2 minutes (at least 1, at most 30), so a stuck
 * application is found at most half a deadline late. The prune of expired outbox events and
 * idempotency records runs once a day, at 03:17 UTC.
 */
export function pipelineCrontab(config: Pick<Config, 'CARFAX_POLL_MINUTES' | 'STUCK_AFTER_MINUTES'>): string {
  const sweepMinutes = Math.min(30, Math.max(1, Math.floor(config.STUCK_AFTER_MINUTES / 2)));
  return [
    `*/${config.CARFAX_POLL_MINUTES} * * * * ${TASK.pollCarfax} ?max=3&jobKey=${TASK.pollCarfax}`,
    `*/${sweepMinutes} * * * * ${TASK.sweepStuck} ?max=3&jobKey=${TASK.sweepStuck}`,
    `17 3 * * * ${TASK.pruneRecords} ?max=3&jobKey=${TASK.pruneRecords}`,
  ].join('\n');
}
