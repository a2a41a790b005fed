import type pg from 'pg';
import { Prisma, type ApplicationStatus, type ModerationStatus } from '../db/prisma.js';
import { stuckCondition, stuckStage, type StuckStage } from '../pipeline/sweep.js';

/**
 * The gauges that come from the database, read in one short read-only transaction per scrape.
 * Every query is bounded by an index or by the size of the work in flight, not by the number of
 * applications ever made: finished, rejected and withdrawn applications are counted only when
 * they closed in the last 24 hours.
 */
export interface DatabaseSnapshot {
  /** Active applications (not REJECTED, WITHDRAWN or FINISHED) by both statuses. */
  activeApplications: { status: string; applicationStatus: string; count: number }[];
  /** Applications that became REJECTED, WITHDRAWN or FINISHED in the last 24 hours. */
  closedApplications: { status: string; count: number }[];
  /** Stuck applications, by the stage they wait in, as the sweep counts them. */
  stuckApplications: { stage: StuckStage; count: number }[];
  outboxUnpublished: number;
  /** Zero when nothing waits. */
  outboxOldestUnpublishedAgeSeconds: number;
  jobs: { task: string; state: JobState; count: number }[];
  /** Age of the oldest job that could run now but has not started, zero when none waits. */
  oldestReadyJobAgeSeconds: number;
}

/**
 * A graphile-worker job's state. A `ready` job can run now, and a `scheduled` one waits for its
 * run_at (a retry backoff or a delayed stage). A `running` job is locked by a worker. A `failed`
 * job has used up its attempts and stays in the table until an operator acts.
 */
export type JobState = 'ready' | 'scheduled' | 'running' | 'failed';

export interface SnapshotOptions {
  /** Minutes after the last change at which an application in a pipeline state counts as stuck. */
  stuckAfterMinutes: number;
  /** Per-query time limit in milliseconds, so a slow database cannot hang a scrape. Default: 2000. */
  statementTimeoutMs?: number;
}

/** Read every database gauge in one read-only transaction. */
export async function readDatabaseSnapshot(pool: pg.Pool, options: SnapshotOptions): Promise<DatabaseSnapshot> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.trunc(options.statementTimeoutMs ?? 2000)}`);

    // The filter is the predicate of the partial unique index on active VINs.
    const active = await client.query<{ status: string; application_status: string; count: number }>(`
      SELECT status::text, application_status::text, count(*)::int AS count
      FROM auction_applications
      WHERE status NOT IN ('REJECTED', 'WITHDRAWN', 'FINISHED')
      GROUP BY 1, 2`);

    // A closed application's application_status is REJECTED, WITHDRAWN or (for FINISHED) SENT,
    // so the (application_status, updated_at) index bounds this to the last day's changes.
    const closed = await client.query<{ status: string; count: number }>(`
      SELECT status::text, count(*)::int AS count
      FROM auction_applications
      WHERE application_status IN ('REJECTED', 'WITHDRAWN', 'SENT')
        AND status IN ('REJECTED', 'WITHDRAWN', 'FINISHED')
        AND updated_at > now() - interval '24 hours'
      GROUP BY 1`);

    // Grouped by the columns that decide the stage, so the sweep's own rule names the stage.
    const stuckQuery = Prisma.sql`
      SELECT a.application_status::text, a.moderation_status::text,
             a.pro_auto_report IS NOT NULL AS has_pro_auto_report,
             a.cme_evaluation IS NOT NULL AS has_cme_evaluation,
             a.cme_inspection IS NOT NULL AS has_cme_inspection,
             count(*)::int AS count
      FROM auction_applications a
      WHERE ${stuckCondition(options.stuckAfterMinutes)}
      GROUP BY 1, 2, 3, 4, 5`;
    const stuck = await client.query<StuckGroup>(stuckQuery.text, stuckQuery.values);

    // The partial index outbox_events_unpublished_idx bounds this to the unpublished rows.
    const outbox = await client.query<{ unpublished: number; oldest_age: number | null }>(`
      SELECT count(*)::int AS unpublished, extract(epoch FROM now() - min(created_at))::float8 AS oldest_age
      FROM outbox_events
      WHERE published_at IS NULL`);

    const jobs = await client.query<{ task: string; state: JobState; count: number }>(`
      SELECT tasks.identifier AS task,
        CASE
          WHEN jobs.locked_at IS NOT NULL THEN 'running'
          WHEN jobs.attempts >= jobs.max_attempts THEN 'failed'
          WHEN jobs.run_at > now() THEN 'scheduled'
          ELSE 'ready'
        END AS state,
        count(*)::int AS count
      FROM graphile_worker._private_jobs AS jobs
      JOIN graphile_worker._private_tasks AS tasks ON tasks.id = jobs.task_id
      GROUP BY 1, 2`);

    const oldestReady = await client.query<{ age: number | null }>(`
      SELECT extract(epoch FROM now() - min(run_at))::float8 AS age
      FROM graphile_worker._private_jobs
      WHERE is_available AND run_at <= now()`);

    await client.query('COMMIT');
    return {
      activeApplications: active.rows.map((row) => ({ status: row.status, applicationStatus: row.application_status, count: row.count })),
      closedApplications: closed.rows,
      stuckApplications: countByStage(stuck.rows),
      outboxUnpublished: outbox.rows[0]?.unpublished ?? 0,
      outboxOldestUnpublishedAgeSeconds: Math.max(0, outbox.rows[0]?.oldest_age ?? 0),
      jobs: jobs.rows,
      oldestReadyJobAgeSeconds: Math.max(0, oldestReady.rows[0]?.age ?? 0),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

interface StuckGroup {
  application_status: ApplicationStatus;
  moderation_status: ModerationStatus | null;
  has_pro_auto_report: boolean;
  has_cme_evaluation: boolean;
  has_cme_inspection: boolean;
  count: number;
}

function countByStage(groups: StuckGroup[]): { stage: StuckStage; count: number }[] {
  const counts = new Map<StuckStage, number>();
  for (const group of groups) {
    // stuckStage reads only whether each report URL is present.
    const stage = stuckStage({
      application_status: group.application_status,
      moderation_status: group.moderation_status,
      pro_auto_report: group.has_pro_auto_report ? 'stored' : null,
      cme_evaluation: group.has_cme_evaluation ? 'stored' : null,
      cme_inspection: group.has_cme_inspection ? 'stored' : null,
    });
    counts.set(stage, (counts.get(stage) ?? 0) + group.count);
  }
  return [...counts].map(([stage, count]) => ({ stage, count }));
}
