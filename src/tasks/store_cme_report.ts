import type { ApplicationChanges } from '../domain/changes.js';
import type { CmeDocumentType } from '../integrations/cme/contract.js';
import { cmeEventJobSchema, TASK, type CmeEventJob } from '../pipeline/jobs.js';
import { readApplication, saveEnrichment, skipUnlessActive, withLockedApplication } from '../pipeline/progress.js';
import { defineStage } from '../pipeline/stage.js';

const DOCUMENTS = {
  evaluation: { reportType: 'cme-evaluation', field: 'cmeEvaluation' },
  inspection: { reportType: 'cme-inspection', field: 'cmeInspection' },
} as const;

/**
 * Act on a CME webhook queued by the endpoint: fetch each finished document the event names,
 * store it in S3 and save its URL. `saveEnrichment` then takes CME out of `waiting_data` once
 * both reports are in and sets INSPECTED once the inspection report is.
 *
 * A document whose URL is already saved is not fetched again, so repeated webhooks do nothing.
 * A crash after the upload and before the commit uploads to the same key again on retry.
 */
export const storeCmeReport = defineStage({
  identifier: TASK.storeCmeReport,
  payload: cmeEventJobSchema,
  async run({ ctx, payload, logger }) {
    const applicationId = BigInt(payload.applicationId);
    const skipReason = skipUnlessActive((application) => {
      if (application.cmeEvaluationId !== payload.evaluationId) {
        return `CME evaluation ${payload.evaluationId} is not the evaluation of application ${application.id}`;
      }
      if (application.applicationStatus !== 'MODERATED' && application.applicationStatus !== 'WAITING_DATA') {
        return `application ${application.id} is ${application.applicationStatus} and waits for no CME report`;
      }
      return undefined;
    });
    const application = await readApplication(ctx.db, { applicationId, logger, skipReason });
    if (!application) {
      return;
    }

    const wanted = documentsNamedBy(payload, logger).filter((document) => !application[DOCUMENTS[document].field]);
    if (wanted.length === 0) {
      logger.info(`CME event ${payload.eventId} (${payload.type}) needs no report fetched for application ${applicationId}.`);
      return;
    }

    const set: ApplicationChanges = {};
    for (const document of wanted) {
      const { body, contentType } = await ctx.integrations.cme.fetchDocument(payload.evaluationId, document);
      set[DOCUMENTS[document].field] = await ctx.integrations.reports.put(payload.applicationId, DOCUMENTS[document].reportType, body, contentType);
    }

    await withLockedApplication(ctx.db, { applicationId, logger, skipReason }, async (tx, locked) => {
      const result = await saveEnrichment(tx, locked, 'CME_REPORT_STORED', set);
      logger.info(`CME ${wanted.join(' and ')} report of application ${applicationId} was stored; it waits for ${result.after.waitingData.join(', ') || 'nothing'}.`);
    });
  },
});

export default storeCmeReport.cliTask;

/**
 * List the documents that an event reports as finished. `status.changed` to EVALUATED or INSPECTED counts
 * too, so a lost `*.done` webhook is made good by the status change that follows it.
 */
function documentsNamedBy(event: CmeEventJob, logger: { info(obj: object, message: string): void; error(obj: object, message: string): void }): CmeDocumentType[] {
  switch (event.type) {
    case 'evaluation.done':
      return ['evaluation'];
    case 'inspection.done':
      return ['inspection'];
    case 'recheck':
      return ['evaluation', 'inspection'];
    case 'status.changed':
      if (event.status === 'EVALUATED') {
        return ['evaluation'];
      }
      if (event.status === 'INSPECTED') {
        return ['evaluation', 'inspection'];
      }
      if (event.status === 'CANCELLED') {
        // TODO: decide with the auction team whether a cancelled CME evaluation rejects the application or is ordered again.
        logger.error({ evaluationId: event.evaluationId }, `CME cancelled evaluation ${event.evaluationId} of application ${event.applicationId}; the application keeps waiting for CME and an operator must act.`);
        return [];
      }
      logger.info({ status: event.status }, `CME evaluation ${event.evaluationId} of application ${event.applicationId} changed to status ${event.status ?? 'unknown'}.`);
      return [];
  }
}
