import { PIPELINE_ACTOR } from '../domain/actor.js';
import { changeApplication } from '../domain/changes.js';
import { isReportComplete } from '../integrations/carfax/report.js';
import { applicationJobSchema, enqueueStage, TASK } from '../pipeline/jobs.js';
import { pendingSources, readApplication, skipUnlessActive, withLockedApplication } from '../pipeline/progress.js';
import { offerDetails, storeProAutoReport } from '../pipeline/reports.js';
import { defineStage } from '../pipeline/stage.js';

/**
 * Ask every source for a moderated application: order the ProAuto report from CARFAX and create
 * the CME evaluation draft, then move it to WAITING_DATA / WAITING_INSPECTION with the sources
 * that have not responded in `waiting_data`. A report CARFAX did not have at once gets its first
 * poll CARFAX_FIRST_POLL_SECONDS later; the crontab polls it after that.
 *
 * Each partner's id is committed as soon as it arrives, so a retry after a crash skips the
 * partners that already answered. Only a crash between a partner's answer and that commit
 * orders a second time.
 */
export const requestEnrichment = defineStage({
  identifier: TASK.requestEnrichment,
  payload: applicationJobSchema,
  async run({ ctx, payload, logger }) {
    const applicationId = BigInt(payload.applicationId);
    const skipReason = skipUnlessActive((application) =>
      application.applicationStatus === 'MODERATED' ? undefined : `application ${application.id} is ${application.applicationStatus}, not MODERATED`,
    );
    let application = await readApplication(ctx.db, { applicationId, logger, skipReason });
    if (!application) {
      return;
    }

    if (application.proAutoRequestId === null) {
      const order = await ctx.integrations.carfax.orderReport({ vin: application.vin, applicationId: payload.applicationId });
      const reportUrl = order.report && isReportComplete(order.report) ? await storeProAutoReport(ctx, payload.applicationId, order.report) : null;
      application = await withLockedApplication(ctx.db, { applicationId, logger, skipReason }, async (tx) => {
        const { after } = await changeApplication(tx, {
          applicationId,
          actor: PIPELINE_ACTOR,
          action: 'CARFAX_REPORT_ORDERED',
          set: { proAutoRequestId: order.requestId, ...(reportUrl ? { proAutoReport: reportUrl } : {}) },
        });
        return after;
      });
      if (!application) {
        return;
      }
      logger.info(`CARFAX report ${order.requestId} was ordered for application ${applicationId}${reportUrl ? ' and was complete at once' : ''}.`);
    }

    if (application.cmeEvaluationId === null) {
      const details = offerDetails(application.offerBody);
      const draft = await ctx.integrations.cme.createEvaluationDraft({
        applicationId: payload.applicationId,
        vin: application.vin,
        inspectTime: application.inspectTime.toISOString(),
        inspectPlace: application.inspectPlace,
        ...(details.mark ? { mark: details.mark } : {}),
        ...(details.model ? { model: details.model } : {}),
        ...(details.year ? { year: details.year } : {}),
      });
      const saved = await withLockedApplication(ctx.db, { applicationId, logger, skipReason }, (tx) =>
        changeApplication(tx, { applicationId, actor: PIPELINE_ACTOR, action: 'CME_DRAFT_CREATED', set: { cmeEvaluationId: draft.evaluationId } }),
      );
      if (!saved) {
        return;
      }
      logger.info(`CME evaluation draft ${draft.evaluationId} was created for application ${applicationId}.`);
    }

    await withLockedApplication(ctx.db, { applicationId, logger, skipReason }, async (tx, locked) => {
      const waitingData = pendingSources(locked);
      await changeApplication(tx, {
        applicationId,
        actor: PIPELINE_ACTOR,
        action: 'ENRICHMENT_REQUESTED',
        set: { applicationStatus: 'WAITING_DATA', status: 'WAITING_INSPECTION', waitingData },
      });
      // A CME report stored while this stage was retrying counts at once.
      if (locked.cmeInspection) {
        await changeApplication(tx, { applicationId, actor: PIPELINE_ACTOR, action: 'CME_INSPECTION_DONE', set: { status: 'INSPECTED' } });
      }
      if (waitingData.length === 0) {
        await enqueueStage(tx, TASK.handOffLot, { applicationId: payload.applicationId });
      }
      if (waitingData.includes('CARFAX')) {
        // Reports are often ready within seconds, so one early poll saves waiting for the crontab.
        await enqueueStage(
          tx,
          TASK.pollCarfax,
          { applicationId: payload.applicationId },
          { jobKey: `${TASK.pollCarfax}:${payload.applicationId}`, runAt: new Date(Date.now() + ctx.config.CARFAX_FIRST_POLL_SECONDS * 1000) },
        );
      }
      logger.info(`Application ${applicationId} waits for ${waitingData.join(', ') || 'nothing'}.`);
    });
  },
});

export default requestEnrichment.cliTask;
