import type { AuctionApplication } from '../db/prisma.js';
import { PIPELINE_ACTOR } from '../domain/actor.js';
import { changeApplication } from '../domain/changes.js';
import { sendToModerationJobSchema, TASK } from '../pipeline/jobs.js';
import { readApplication, skipUnlessActive, withLockedApplication } from '../pipeline/progress.js';
import { defineStage } from '../pipeline/stage.js';

/**
 * Submit a new application to moderation and mark it PENDING, waiting for MODERATION. The
 * submission happens before the transaction, so a crash in between submits again on retry.
 * Moderation files one case per application and returns the same ticket for the repeat.
 */
export const sendToModeration = defineStage({
  identifier: TASK.sendToModeration,
  payload: sendToModerationJobSchema,
  async run({ ctx, payload, logger }) {
    const applicationId = BigInt(payload.applicationId);
    const skipReason = skipUnlessActive((application) => submittedReason(application, payload.resubmit ?? false));
    const application = await readApplication(ctx.db, { applicationId, logger, skipReason });
    if (!application) {
      return;
    }

    const acknowledgement = await ctx.integrations.moderation.submit({
      applicationId: payload.applicationId,
      userId: application.userId,
      offerId: application.offerId,
      vin: application.vin,
      inspectPlace: application.inspectPlace,
      offer: decodeOffer(application.offerBody),
    });

    await withLockedApplication(ctx.db, { applicationId, logger, skipReason }, async (tx, locked) => {
      const waitingData = locked.waitingData.includes('MODERATION') ? locked.waitingData : [...locked.waitingData, 'MODERATION' as const];
      await changeApplication(tx, { applicationId, actor: PIPELINE_ACTOR, action: 'SENT_TO_MODERATION', set: { moderationStatus: 'PENDING', waitingData } });
    });
    logger.info({ ticketId: acknowledgement.ticketId }, `Application ${applicationId} was sent to moderation as ticket ${acknowledgement.ticketId}.`);
  },
});

export default sendToModeration.cliTask;

/**
 * Why the application needs no submission: it has left NEW, or moderation already acknowledged
 * it. `resubmit`, set by the sweep when no verdict came in time, submits a PENDING one again.
 */
function submittedReason(application: AuctionApplication, resubmit: boolean): string | undefined {
  if (application.applicationStatus !== 'NEW') {
    return `application ${application.id} is already ${application.applicationStatus}`;
  }
  if (application.moderationStatus === 'PENDING' && !resubmit) {
    return `application ${application.id} is already waiting for its moderation verdict`;
  }
  if (application.moderationStatus !== null && application.moderationStatus !== 'PENDING') {
    return `application ${application.id} already has the moderation verdict ${application.moderationStatus}`;
  }
  return undefined;
}

/** The offer as the seller sent it; bytes that are not JSON go on as text rather than stop the stage. */
function decodeOffer(body: Uint8Array): unknown {
  const text = new TextDecoder().decode(body);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
