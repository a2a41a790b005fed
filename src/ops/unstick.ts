import type { Database } from '../db/prisma.js';
import { applicationQueue } from '../jobs/add-job.js';
import type { Logger } from '../logger.js';
import { requeue, stuckCondition, stuckStage, type StuckRow, type StuckStage } from '../pipeline/sweep.js';
import { unlockCrashedWorkers } from '../pipeline/worker-liveness.js';

/** An application id that matches no application. */
export class ApplicationNotFoundError extends Error {
  override name = 'ApplicationNotFoundError';
}

/** The report of `unstick` on one application. */
export interface UnstickReport {
  applicationId: string;
  /** The stage the application waits in; undefined when the pipeline has nothing more to do for it. */
  stage?: StuckStage;
  /** Worker pools whose process died and whose job locks were released. */
  releasedWorkerPools: string[];
  /** Jobs of the application's queue set to run now, failed ones with their attempts reset. */
  rescheduledJobs: number;
  /** Whether the stage's job was queued, because no job of the application could run any more. */
  queuedStageJob: boolean;
  /** The reason nothing was done, when nothing was. */
  note?: string;
}

/** One row of the `stuck` listing. */
export interface StuckApplication {
  applicationId: string;
  applicationStatus: string;
  stage: StuckStage;
  updatedAt: Date;
  /** Jobs of the application's queue that may still run (attempts left). */
  liveJobs: number;
  /** Jobs of the application's queue that used up their attempts. */
  failedJobs: number;
  lastError: string | null;
}

/** The pipeline states in which `unstick` can move an application on. */
const PIPELINE_STATES = new Set(['NEW', 'MODERATED', 'WAITING_DATA', 'READY']);

/**
 * List the applications that the sweep counts as stuck, oldest change first, with the state of
 * their job queue, so an operator sees whether a job is still retrying or has given up.
 */
export async function listStuckApplications(db: Database, options: { stuckAfterMinutes: number; limit?: number }): Promise<StuckApplication[]> {
  const rows = await db.prisma.$queryRaw<(StuckRow & { updated_at: Date; live_jobs: number; failed_jobs: number; last_error: string | null })[]>`
    SELECT a.application_id, a.application_status, a.moderation_status, a.waiting_data,
           a.pro_auto_report, a.cme_evaluation, a.cme_inspection, a.cme_evaluation_id, a.updated_at,
           jobs.live_jobs, jobs.failed_jobs, jobs.last_error, jobs.live_jobs > 0 AS has_live_job
      FROM auction_applications a
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE j.attempts < j.max_attempts)::int AS live_jobs,
               count(*) FILTER (WHERE j.attempts >= j.max_attempts)::int AS failed_jobs,
               (array_agg(j.last_error ORDER BY j.updated_at DESC) FILTER (WHERE j.last_error IS NOT NULL))[1] AS last_error
          FROM graphile_worker.jobs j
         WHERE j.queue_name = ${applicationQueue('')} || a.application_id::text
      ) jobs
     WHERE ${stuckCondition(options.stuckAfterMinutes)}
     ORDER BY a.updated_at
     LIMIT ${options.limit ?? 100}`;
  return rows.map((row) => ({
    applicationId: row.application_id.toString(),
    applicationStatus: row.application_status,
    stage: stuckStage(row),
    updatedAt: row.updated_at,
    liveJobs: row.live_jobs,
    failedJobs: row.failed_jobs,
    lastError: row.last_error,
  }));
}

/**
 * Move one application on, whether or not the sweep counts it as stuck yet. This releases the job
 * locks of worker processes that died and runs every waiting job of the application's queue now,
 * failed ones with fresh attempts. When none of its jobs can run, it queues its stage's job.
 * Every step is safe to repeat, because every pipeline task is idempotent.
 */
export async function unstickApplication(db: Database, logger: Logger, applicationId: bigint): Promise<UnstickReport> {
  const log = logger.child({ applicationId: applicationId.toString() });
  const [row] = await db.prisma.$queryRaw<(StuckRow & { status: string })[]>`
    SELECT application_id, status, application_status, moderation_status, waiting_data,
           pro_auto_report, cme_evaluation, cme_inspection, cme_evaluation_id, false AS has_live_job
      FROM auction_applications
     WHERE application_id = ${applicationId}`;
  if (!row) {
    throw new ApplicationNotFoundError(`Application ${applicationId} was not found; check the number, or whether it was deleted.`);
  }

  const report: UnstickReport = { applicationId: applicationId.toString(), releasedWorkerPools: [], rescheduledJobs: 0, queuedStageJob: false };
  if (!PIPELINE_STATES.has(row.application_status) || ['REJECTED', 'WITHDRAWN', 'FINISHED'].includes(row.status)) {
    report.note = `Application ${applicationId} is ${row.status}/${row.application_status}; the pipeline has nothing more to do for it.`;
    log.info(report.note);
    return report;
  }
  report.stage = stuckStage(row);
  report.releasedWorkerPools = await unlockCrashedWorkers(db.pool, log);

  const queue = applicationQueue(applicationId);
  const rescheduled = await db.pool.query<{ id: string }>(
    `SELECT id FROM graphile_worker.reschedule_jobs(
       ARRAY(SELECT id FROM graphile_worker.jobs WHERE queue_name = $1 AND locked_at IS NULL),
       run_at => now())`,
    [queue],
  );
  const revived = await db.pool.query(
    `SELECT id FROM graphile_worker.reschedule_jobs(
       ARRAY(SELECT id FROM graphile_worker.jobs WHERE queue_name = $1 AND locked_at IS NULL AND attempts >= max_attempts),
       attempts => 0)`,
    [queue],
  );
  report.rescheduledJobs = rescheduled.rowCount ?? 0;

  const live = await db.pool.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM graphile_worker.jobs WHERE queue_name = $1 AND attempts < max_attempts',
    [queue],
  );
  if (live.rows[0]!.count === 0) {
    await requeue(db, row, report.stage);
    report.queuedStageJob = true;
  }
  log.info(
    { stage: report.stage, releasedWorkerPools: report.releasedWorkerPools, rescheduledJobs: report.rescheduledJobs, revivedJobs: revived.rowCount, queuedStageJob: report.queuedStageJob },
    `Application ${applicationId} was unstuck in stage ${report.stage}: ${report.rescheduledJobs} jobs set to run now${report.queuedStageJob ? ', and its stage job queued' : ''}.`,
  );
  return report;
}
