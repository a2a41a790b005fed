import type { Config } from '../config.js';
import { Prisma, type ApplicationStatus, type Database, type DataSource, type ModerationStatus } from '../db/prisma.js';
import { applicationQueue } from '../jobs/add-job.js';
import type { Logger } from '../logger.js';
import { enqueueStage, TASK } from './jobs.js';
import { pendingSources } from './progress.js';

/**
 * The safety net of the pipeline. An application counts as stuck when it has not changed for
 * STUCK_AFTER_MINUTES in a stage the pipeline drives. Waiting for CME counts only from the
 * wished inspection time on, because CME cannot inspect a car before it. A stuck application
 * without a live job on its queue gets the job of its stage again. One whose job is still
 * retrying is counted but left to that job.
 */

/** The stage an application is stuck in, as logs and metrics name it. */
export type StuckStage = 'moderation' | 'verdict' | 'enrichment' | 'carfax' | 'cme' | 'hand_off';

export interface SweepReport {
  at: Date;
  /** Stuck applications by stage. */
  stuck: Record<StuckStage, number>;
  total: number;
  /** How many of them got their stage's job again. */
  requeued: number;
}

const SWEEP_BATCH_SIZE = 500;

let lastReport: SweepReport | undefined;

/** Return the result of this process's latest sweep for the metrics endpoint, or undefined before the first. */
export function lastSweepReport(): SweepReport | undefined {
  return lastReport;
}

/** The columns of an application that the sweep reads. */
export interface StuckRow {
  application_id: bigint;
  application_status: ApplicationStatus;
  moderation_status: ModerationStatus | null;
  waiting_data: DataSource[];
  pro_auto_report: string | null;
  cme_evaluation: string | null;
  cme_inspection: string | null;
  cme_evaluation_id: number | null;
  has_live_job: boolean;
}

/** Find the stuck applications, re-enqueue those without a live job, and report the counts. */
export async function sweepStuckApplications(deps: { db: Database; logger: Logger; config: Pick<Config, 'STUCK_AFTER_MINUTES'> }): Promise<SweepReport> {
  const report: SweepReport = {
    at: new Date(),
    stuck: { moderation: 0, verdict: 0, enrichment: 0, carfax: 0, cme: 0, hand_off: 0 },
    total: 0,
    requeued: 0,
  };

  let after = 0n;
  for (;;) {
    const rows = await findStuck(deps.db, deps.config.STUCK_AFTER_MINUTES, after);
    for (const row of rows) {
      const stage = stuckStage(row);
      report.stuck[stage] += 1;
      report.total += 1;
      if (!row.has_live_job) {
        await requeue(deps.db, row, stage);
        report.requeued += 1;
      }
      deps.logger.warn(
        { applicationId: row.application_id.toString(), stage, requeued: !row.has_live_job },
        `Application ${row.application_id} is stuck in stage ${stage} for over ${deps.config.STUCK_AFTER_MINUTES} minutes; ${row.has_live_job ? 'its job is still retrying' : 'its stage job was queued again'}.`,
      );
    }
    if (rows.length < SWEEP_BATCH_SIZE) {
      break;
    }
    after = rows[rows.length - 1]!.application_id;
  }

  lastReport = report;
  deps.logger.info({ stuck: report.stuck, requeued: report.requeued }, `The sweep found ${report.total} stuck applications and queued ${report.requeued} of them again.`);
  return report;
}

async function findStuck(db: Database, stuckAfterMinutes: number, after: bigint): Promise<StuckRow[]> {
  return db.prisma.$queryRaw<StuckRow[]>`
    SELECT a.application_id, a.application_status, a.moderation_status, a.waiting_data,
           a.pro_auto_report, a.cme_evaluation, a.cme_inspection, a.cme_evaluation_id,
           EXISTS (
             SELECT 1 FROM graphile_worker.jobs j
              WHERE j.queue_name = ${applicationQueue('')} || a.application_id::text
                AND j.attempts < j.max_attempts
           ) AS has_live_job
      FROM auction_applications a
     WHERE ${stuckCondition(stuckAfterMinutes)}
       AND a.application_id > ${after}
     ORDER BY a.application_id
     LIMIT ${SWEEP_BATCH_SIZE}`;
}

/**
 * Build the SQL condition on `auction_applications a` under which an application is stuck. The sweep and
 * the stuck-applications gauge both use it, so they count the same applications.
 */
export function stuckCondition(stuckAfterMinutes: number): Prisma.Sql {
  return Prisma.sql`a.application_status IN ('NEW', 'MODERATED', 'WAITING_DATA', 'READY')
       AND a.status NOT IN ('REJECTED', 'WITHDRAWN', 'FINISHED')
       AND a.updated_at < now() - make_interval(mins => ${stuckAfterMinutes}::int)
       AND NOT (
         a.application_status = 'WAITING_DATA'
         AND a.waiting_data = ARRAY['CME']::"DATA_SOURCE"[]
         AND a.inspect_time > now() - make_interval(mins => ${stuckAfterMinutes}::int)
       )`;
}

/** Derive the stage a stuck application waits in from the columns that distinguish the stages. */
export function stuckStage(row: Pick<StuckRow, 'application_status' | 'moderation_status' | 'pro_auto_report' | 'cme_evaluation' | 'cme_inspection'>): StuckStage {
  switch (row.application_status) {
    case 'NEW':
      return row.moderation_status === null ? 'moderation' : 'verdict';
    case 'MODERATED':
      return 'enrichment';
    case 'WAITING_DATA': {
      const pending = pendingSources({ proAutoReport: row.pro_auto_report, cmeEvaluation: row.cme_evaluation, cmeInspection: row.cme_inspection });
      if (pending.includes('CARFAX')) {
        return 'carfax';
      }
      return pending.includes('CME') ? 'cme' : 'hand_off';
    }
    default:
      return 'hand_off';
  }
}

/** Queue the job of an application's stage again, as the sweep does; operators' `unstick` uses it too. */
export async function requeue(db: Database, row: StuckRow, stage: StuckStage): Promise<void> {
  const applicationId = row.application_id.toString();
  await db.prisma.$transaction(async (tx) => {
    switch (stage) {
      case 'moderation':
        return enqueueStage(tx, TASK.sendToModeration, { applicationId });
      case 'verdict':
        // Moderation files one case per application, so this resubmits the case without filing a second one.
        return enqueueStage(tx, TASK.sendToModeration, { applicationId, resubmit: true });
      case 'enrichment':
        return enqueueStage(tx, TASK.requestEnrichment, { applicationId });
      case 'carfax':
        return enqueueStage(tx, TASK.pollCarfax, { applicationId }, { jobKey: `${TASK.pollCarfax}:${applicationId}` });
      case 'cme':
        return enqueueStage(tx, TASK.storeCmeReport, {
          applicationId,
          eventId: `sweep:${Date.now()}`,
          type: 'recheck',
          // request_enrichment creates the CME draft before it moves an application to WAITING_DATA.
          evaluationId: row.cme_evaluation_id!,
        });
      case 'hand_off':
        return enqueueStage(tx, TASK.handOffLot, { applicationId });
    }
  });
}
