import { PIPELINE_ACTOR } from '../domain/actor.js';
import { changeApplication } from '../domain/changes.js';
import type { ServiceContext } from '../context.js';
import { CarfaxReportNotFoundError } from '../integrations/carfax/client.js';
import { isReportComplete, missingBlocks } from '../integrations/carfax/report.js';
import { applicationQueue } from '../jobs/add-job.js';
import type { Logger } from '../logger.js';
import { pollCarfaxJobSchema, TASK } from '../pipeline/jobs.js';
import { readApplication, saveEnrichment, skipUnlessActive, withLockedApplication } from '../pipeline/progress.js';
import { storeProAutoReport } from '../pipeline/reports.js';
import { defineStage } from '../pipeline/stage.js';

/** Applications scanned and queued per statement by the crontab run. */
export const POLL_BATCH_SIZE = 500;

/**
 * Poll CARFAX for ProAuto reports. The crontab run (no application id) scans every application
 * waiting for CARFAX through the GIN index on `waiting_data`, in batches, and queues one poll per
 * application on its own queue. A job key per application keeps one pending poll each, however
 * often the crontab fires, and moves a poll scheduled for later, such as the first one after
 * the order, to now. A per-application run fetches the report and stores it only when every
 * required block is present; an incomplete report waits for the next crontab run.
 */
export const pollCarfax = defineStage({
  identifier: TASK.pollCarfax,
  payload: pollCarfaxJobSchema,
  async run({ ctx, payload, logger }) {
    if (payload.applicationId === undefined) {
      await queueCarfaxPolls(ctx, logger);
      return;
    }
    await pollOne(ctx, payload.applicationId, logger);
  },
});

export default pollCarfax.cliTask;

async function queueCarfaxPolls(ctx: ServiceContext, logger: Logger): Promise<void> {
  let after = 0n;
  let queued = 0;
  for (;;) {
    const rows = await ctx.db.prisma.$queryRaw<{ application_id: bigint }[]>`
      WITH batch AS (
        SELECT application_id FROM auction_applications
         WHERE waiting_data @> ARRAY['CARFAX']::"DATA_SOURCE"[]
           AND application_status = 'WAITING_DATA'
           AND application_id > ${after}
         ORDER BY application_id
         LIMIT ${POLL_BATCH_SIZE}
      )
      SELECT application_id, graphile_worker.add_job(
        identifier => ${TASK.pollCarfax},
        payload => json_build_object('applicationId', application_id::text),
        queue_name => ${applicationQueue('')} || application_id::text,
        job_key => ${`${TASK.pollCarfax}:`} || application_id::text,
        job_key_mode => 'replace'
      ) IS NOT NULL AS queued
        FROM batch ORDER BY application_id`;
    queued += rows.length;
    if (rows.length < POLL_BATCH_SIZE) {
      break;
    }
    after = rows[rows.length - 1]!.application_id;
  }
  logger.info(`Queued CARFAX polls for ${queued} applications waiting for CARFAX.`);
}

async function pollOne(ctx: ServiceContext, id: string, logger: Logger): Promise<void> {
  const applicationId = BigInt(id);
  const skipReason = skipUnlessActive((application) =>
    application.applicationStatus === 'WAITING_DATA' && application.waitingData.includes('CARFAX') && application.proAutoRequestId !== null
      ? undefined
      : `application ${application.id} is not waiting for a CARFAX report`,
  );
  const application = await readApplication(ctx.db, { applicationId, logger, skipReason });
  if (!application) {
    return;
  }
  const requestId = application.proAutoRequestId!;

  let report;
  try {
    report = await ctx.integrations.carfax.getReport(requestId);
  } catch (error) {
    if (!(error instanceof CarfaxReportNotFoundError)) {
      throw error;
    }
    // CARFAX forgot the request, as when a report expires before it is complete: order anew.
    const order = await ctx.integrations.carfax.orderReport({ vin: application.vin, applicationId: id });
    await withLockedApplication(ctx.db, { applicationId, logger, skipReason }, (tx) =>
      changeApplication(tx, { applicationId, actor: PIPELINE_ACTOR, action: 'CARFAX_REPORT_ORDERED', set: { proAutoRequestId: order.requestId } }),
    );
    logger.warn(`CARFAX no longer knows request ${requestId} of application ${applicationId}, so report ${order.requestId} was ordered instead.`);
    return;
  }

  if (!isReportComplete(report)) {
    logger.info(`CARFAX report ${requestId} of application ${applicationId} still lacks ${missingBlocks(report).join(', ')}; it is polled again on the next run.`);
    return;
  }

  const url = await storeProAutoReport(ctx, id, report);
  await withLockedApplication(ctx.db, { applicationId, logger, skipReason: (locked) => (locked.proAutoRequestId === requestId ? skipReason(locked) : `CARFAX request ${requestId} was replaced`) }, async (tx, locked) => {
    const result = await saveEnrichment(tx, locked, 'PRO_AUTO_REPORT_STORED', { proAutoReport: url });
    logger.info(`CARFAX report ${requestId} of application ${applicationId} was stored; it waits for ${result.after.waitingData.join(', ') || 'nothing'}.`);
  });
}
