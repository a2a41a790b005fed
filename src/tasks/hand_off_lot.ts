import type { AuctionApplication } from '../db/prisma.js';
import { PIPELINE_ACTOR } from '../domain/actor.js';
import { changeApplication } from '../domain/changes.js';
import type { Lot } from '../integrations/lot-sink/contract.js';
import { applicationJobSchema, TASK } from '../pipeline/jobs.js';
import { pendingSources, skipUnlessActive, withLockedApplication } from '../pipeline/progress.js';
import { offerDetails } from '../pipeline/reports.js';
import { defineStage } from '../pipeline/stage.js';

/** The idempotency scope of lot hand-offs: one record per application, with the sink's reference. */
export const LOT_HAND_OFF_SCOPE = 'lot-hand-off';

/**
 * Mark an application READY once nothing is awaited, hand its lot to the lot sink, then mark it
 * SENT and record the hand-off in the same transaction.
 *
 * The hand-off cannot share a transaction with the sink's HTTP call. A crash after the sink
 * accepted the lot and before the commit hands it on again on retry, with the same idempotency
 * key `lot:<application id>`. The lots service keeps one lot per key. A Telegram chat gets the
 * message twice, because the Bot API has no idempotency key.
 */
export const handOffLot = defineStage({
  identifier: TASK.handOffLot,
  payload: applicationJobSchema,
  async run({ ctx, payload, logger }) {
    const applicationId = BigInt(payload.applicationId);

    let application = await withLockedApplication(
      ctx.db,
      {
        applicationId,
        logger,
        skipReason: skipUnlessActive(readinessProblem),
      },
      async (tx, locked) => {
        if (locked.applicationStatus !== 'WAITING_DATA') {
          return locked;
        }
        const { after } = await changeApplication(tx, {
          applicationId,
          actor: PIPELINE_ACTOR,
          action: 'READY',
          set: { applicationStatus: 'READY', waitingData: [], completedAt: new Date() },
        });
        logger.info(`Application ${applicationId} has every report and is READY.`);
        return after;
      },
    );
    if (!application) {
      return;
    }

    const lot = buildLot(application);
    const { reference } = await ctx.integrations.lotSink.handOff(lot);

    application = await withLockedApplication(
      ctx.db,
      {
        applicationId,
        logger,
        skipReason: skipUnlessActive((locked) => (locked.applicationStatus === 'READY' ? undefined : `application ${applicationId} is already ${locked.applicationStatus}`)),
      },
      async (tx) => {
        await tx.idempotencyRecord.create({
          data: { scope: LOT_HAND_OFF_SCOPE, key: payload.applicationId, response: { sink: ctx.integrations.lotSink.kind, reference, handedOffAt: new Date().toISOString() } },
        });
        const { after } = await changeApplication(tx, { applicationId, actor: PIPELINE_ACTOR, action: 'LOT_HANDED_OFF', set: { applicationStatus: 'SENT' } });
        return after;
      },
    );
    if (application) {
      logger.info({ reference, sink: ctx.integrations.lotSink.kind }, `The lot of application ${applicationId} was handed to ${ctx.integrations.lotSink.kind} as ${reference}; the application is SENT.`);
    } else {
      // NOTE: the lot reached the sink although the application stopped meanwhile; the outbox event of
      // the withdrawal or rejection informs the lots service.
      logger.warn({ reference }, `The lot of application ${applicationId} was handed on as ${reference}, but the application stopped before it could be marked SENT.`);
    }
  },
});

export default handOffLot.cliTask;

function readinessProblem(application: AuctionApplication): string | undefined {
  if (application.applicationStatus === 'READY') {
    return undefined;
  }
  if (application.applicationStatus !== 'WAITING_DATA') {
    return `application ${application.id} is ${application.applicationStatus}, not waiting for data`;
  }
  const pending = pendingSources(application);
  return pending.length > 0 ? `application ${application.id} still waits for ${pending.join(', ')}` : undefined;
}

export function lotIdempotencyKey(applicationId: string): string {
  return `lot:${applicationId}`;
}

function buildLot(application: AuctionApplication): Lot {
  const details = offerDetails(application.offerBody);
  return {
    applicationId: application.id.toString(),
    idempotencyKey: lotIdempotencyKey(application.id.toString()),
    offerId: application.offerId,
    vin: application.vin,
    ...details,
    inspectTime: application.inspectTime.toISOString(),
    inspectPlace: application.inspectPlace,
    reports: { proAuto: application.proAutoReport, cmeEvaluation: application.cmeEvaluation, cmeInspection: application.cmeInspection },
  };
}
