import { PIPELINE_ACTOR } from '../domain/actor.js';
import { changeApplication } from '../domain/changes.js';
import { enqueueStage, TASK, verdictJobSchema } from '../pipeline/jobs.js';
import { skipUnlessActive, withLockedApplication } from '../pipeline/progress.js';
import { defineStage } from '../pipeline/stage.js';

/**
 * Apply a moderation verdict: OK moves the application to MODERATED and queues enrichment;
 * FAILED rejects it in both status columns and the pipeline ends. The first verdict of an
 * application wins: a later one, even with another verdict id, changes nothing.
 */
export const applyModerationVerdict = defineStage({
  identifier: TASK.applyModerationVerdict,
  payload: verdictJobSchema,
  async run({ ctx, payload, logger }) {
    const applicationId = BigInt(payload.applicationId);
    const skipReason = skipUnlessActive((application) =>
      application.applicationStatus !== 'NEW' || application.moderationStatus === 'OK' || application.moderationStatus === 'FAILED'
        ? `application ${application.id} already has a moderation verdict (${application.moderationStatus ?? 'none'}, ${application.applicationStatus})`
        : undefined,
    );

    await withLockedApplication(ctx.db, { applicationId, logger, skipReason }, async (tx, application) => {
      const waitingData = application.waitingData.filter((source) => source !== 'MODERATION');
      if (payload.verdict === 'OK') {
        await changeApplication(tx, {
          applicationId,
          actor: PIPELINE_ACTOR,
          action: 'MODERATION_PASSED',
          set: { moderationStatus: 'OK', applicationStatus: 'MODERATED', waitingData },
          details: { verdictId: payload.verdictId },
        });
        await enqueueStage(tx, TASK.requestEnrichment, { applicationId: payload.applicationId });
        logger.info(`Application ${applicationId} passed moderation (verdict ${payload.verdictId}) and goes on to enrichment.`);
        return;
      }

      // The reason goes on the history entry, where the seller's timeline shows it.
      await changeApplication(tx, {
        applicationId,
        actor: PIPELINE_ACTOR,
        action: 'MODERATION_FAILED',
        set: { moderationStatus: 'FAILED', status: 'REJECTED', applicationStatus: 'REJECTED', waitingData },
        details: { verdictId: payload.verdictId, ...(payload.reason === undefined ? {} : { reason: payload.reason }) },
      });
      logger.info({ reason: payload.reason }, `Application ${applicationId} failed moderation (verdict ${payload.verdictId}) and was rejected.`);
    });
  },
});

export default applyModerationVerdict.cliTask;
