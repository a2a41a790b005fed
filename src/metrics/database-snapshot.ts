import type pg from 'pg';

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
  /** Applications in a pipeline state past the stuck deadline, by that state. */
  stuckApplications: { applicationStatus: string; count: number }[];
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

/**
 * The states in which the pipeline itself must move an application on. WAITING_DATA is left
 * out, because it waits for partners: the CME inspection happens on the seller's chosen day.
 */
export const STUCK_APPLICATION_STATUSES = ['NEW', 'MODERATED', 'READY'] as const;

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

    const stuck = await client.query<{ application_status: string; count: number }>(
      `SELECT application_status::text, count(*)::int AS count
      FROM auction_applications
      WHERE application_status = ANY($1::"APPLICATION_STATUS"[])
        AND updated_at < now() - make_interval(mins => $2)
      GROUP BY 1`,
      [STUCK_APPLICATION_STATUSES, options.stuckAfterMinutes],
    );

    // TODO: without a partial index on unpublished events this scans the whole outbox. It stays
    // cheap only while published events are pruned or such an index exists.
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
      stuckApplications: stuck.rows.map((row) => ({ applicationStatus: row.application_status, count: row.count })),
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
