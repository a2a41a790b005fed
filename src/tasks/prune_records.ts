import { z } from 'zod';
import type { Config } from '../config.js';
import type { Database } from '../db/prisma.js';
import { CREATE_APPLICATION_SCOPE } from '../domain/applications.js';
import { CME_WEBHOOK_SCOPE } from '../http/use-webhooks.js';
import type { Logger } from '../logger.js';
import { TASK } from '../pipeline/jobs.js';
import { defineStage } from '../pipeline/stage.js';
import { VERDICT_SCOPE } from '../pipeline/verdict-intake.js';

/** Rows deleted per statement, so one run never holds many row locks or a long transaction. */
export const PRUNE_BATCH_SIZE = 1000;

/**
 * The idempotency scopes whose records only guard against repeats, so they may expire. The
 * `lot-hand-off` records are kept, because each contains the lot sink's reference of a
 * handed-off lot, which is stored nowhere else.
 */
export const PRUNED_IDEMPOTENCY_SCOPES: readonly string[] = [CREATE_APPLICATION_SCOPE, CME_WEBHOOK_SCOPE, VERDICT_SCOPE];

export interface PruneReport {
  outboxEvents: number;
  idempotencyRecords: number;
  /** True when the worker's shutdown stopped the run between two batches. */
  aborted: boolean;
}

/**
 * The crontab's daily clean-up: delete the outbox events published more than
 * OUTBOX_RETENTION_DAYS ago and the expiring idempotency records older than
 * IDEMPOTENCY_RETENTION_DAYS. Unpublished events stay, however old, because the relay still has
 * to send them.
 */
export const pruneRecords = defineStage({
  identifier: TASK.pruneRecords,
  payload: z.object({}).loose(),
  async run({ ctx, logger, helpers }) {
    await pruneOldRecords({ db: ctx.db, logger, config: ctx.config, signal: helpers.abortSignal });
  },
});

export default pruneRecords.cliTask;

/**
 * Delete the expired rows in batches of `batchSize`, each batch in its own statement. A run that
 * stops halfway leaves only whole batches deleted, and the next run deletes the rest.
 */
export async function pruneOldRecords(deps: {
  db: Database;
  logger: Logger;
  config: Pick<Config, 'OUTBOX_RETENTION_DAYS' | 'IDEMPOTENCY_RETENTION_DAYS'>;
  signal?: AbortSignal;
  batchSize?: number;
}): Promise<PruneReport> {
  const { db, config } = deps;
  const batchSize = deps.batchSize ?? PRUNE_BATCH_SIZE;
  const report: PruneReport = { outboxEvents: 0, idempotencyRecords: 0, aborted: false };

  // The cut-offs use the database's clock, which also wrote published_at and created_at.
  const outboxBatch = () =>
    db.pool.query(
      `DELETE FROM outbox_events WHERE outbox_id IN (
         SELECT outbox_id FROM outbox_events
          WHERE published_at IS NOT NULL AND published_at < now() - make_interval(days => $1)
          LIMIT $2)`,
      [config.OUTBOX_RETENTION_DAYS, batchSize],
    );
  const idempotencyBatch = () =>
    db.pool.query(
      `DELETE FROM idempotency_records r USING (
         SELECT scope, key FROM idempotency_records
          WHERE scope = ANY($1::text[]) AND created_at < now() - make_interval(days => $2)
          LIMIT $3) expired
        WHERE r.scope = expired.scope AND r.key = expired.key`,
      [PRUNED_IDEMPOTENCY_SCOPES, config.IDEMPOTENCY_RETENTION_DAYS, batchSize],
    );

  for (const [kind, deleteBatch] of [
    ['outboxEvents', outboxBatch],
    ['idempotencyRecords', idempotencyBatch],
  ] as const) {
    for (;;) {
      if (deps.signal?.aborted) {
        report.aborted = true;
        break;
      }
      const { rowCount } = await deleteBatch();
      report[kind] += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) {
        break;
      }
    }
  }

  const summary =
    `${report.outboxEvents} outbox events published more than ${config.OUTBOX_RETENTION_DAYS} days ago ` +
    `and ${report.idempotencyRecords} idempotency records older than ${config.IDEMPOTENCY_RETENTION_DAYS} days`;
  if (report.aborted) {
    deps.logger.info(report, `Pruning stopped for the shutdown after deleting ${summary}; the next run deletes the rest.`);
  } else {
    deps.logger.info(report, `Pruned ${summary}.`);
  }
  return report;
}
