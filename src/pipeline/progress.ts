import type { AuctionApplication, Database, DataSource, Transaction } from '../db/prisma.js';
import { PIPELINE_ACTOR } from '../domain/actor.js';
import { changeApplication, findApplication, lockApplication, type ApplicationChanges, type ChangeResult } from '../domain/changes.js';
import { NotFoundError } from '../domain/errors.js';
import { FINAL_STATUSES } from '../domain/statuses.js';
import { enqueueStage, TASK } from './jobs.js';

/**
 * The rules that decide how far an application has come in enrichment. `waiting_data` is not
 * kept by hand: while the application is in WAITING_DATA it is recomputed from the stored
 * report URLs on every change, so a repeated or out-of-order report cannot leave a source
 * listed that has already delivered its report, or drop one that has not.
 */

/** List the sources an enriched application still waits for, in a fixed order. */
export function pendingSources(application: Pick<AuctionApplication, 'proAutoReport' | 'cmeEvaluation' | 'cmeInspection'>): DataSource[] {
  const pending: DataSource[] = [];
  if (!application.proAutoReport) {
    pending.push('CARFAX');
  }
  if (!application.cmeEvaluation || !application.cmeInspection) {
    pending.push('CME');
  }
  return pending;
}

/** Check whether the application reached a status after which the pipeline does nothing more. */
export function isStopped(application: Pick<AuctionApplication, 'status'>): boolean {
  return FINAL_STATUSES.has(application.status);
}

/**
 * Lock the application for the rest of the transaction, or return null when it was deleted,
 * as a data-erasure request may do while its jobs are queued.
 */
export async function lockApplicationIfExists(tx: Transaction, applicationId: bigint): Promise<AuctionApplication | null> {
  try {
    return await lockApplication(tx, applicationId);
  } catch (error) {
    if (error instanceof NotFoundError) {
      return null;
    }
    throw error;
  }
}

/**
 * Save enrichment results (report URLs, partner ids) on a locked application and, once it is in
 * WAITING_DATA, derive the rest: `waiting_data` from the stored reports, `INSPECTED` once the
 * inspection report is in, and the `hand_off_lot` job once nothing is awaited. Before
 * WAITING_DATA only the values are saved; request_enrichment derives the rest when it moves the
 * application on.
 */
export async function saveEnrichment(tx: Transaction, application: AuctionApplication, action: string, set: ApplicationChanges): Promise<ChangeResult> {
  const changes: ApplicationChanges = { ...set };
  const merged = { ...application, ...set };
  const enriched = application.applicationStatus === 'WAITING_DATA';
  if (enriched) {
    changes.waitingData = pendingSources(merged);
    if (merged.cmeInspection && application.status === 'WAITING_INSPECTION') {
      changes.status = 'INSPECTED';
    }
  }

  const result = await changeApplication(tx, { applicationId: application.id, actor: PIPELINE_ACTOR, action, set: changes });
  if (enriched && result.changed && result.after.waitingData.length === 0) {
    await enqueueStage(tx, TASK.handOffLot, { applicationId: application.id.toString() });
  }
  return result;
}

/**
 * Run `work` in a transaction on the locked application, unless it was deleted or `skipReason`
 * finds a reason to leave it alone. In those cases, log the reason and return undefined. Tasks
 * decide from the row as it is after locking, so a withdrawal or rejection committed while a partner call was
 * in flight stops the stage here.
 */
export async function withLockedApplication<T>(
  db: Database,
  input: {
    applicationId: bigint;
    logger: { info(message: string): void };
    skipReason: SkipCheck;
  },
  work: (tx: Transaction, application: AuctionApplication) => Promise<T>,
): Promise<T | undefined> {
  const outcome = await db.prisma.$transaction(async (tx) => {
    const application = await lockApplicationIfExists(tx, input.applicationId);
    if (!application) {
      return { skipped: `application ${input.applicationId} no longer exists` } as const;
    }
    const reason = input.skipReason(application);
    if (reason) {
      return { skipped: reason } as const;
    }
    return { value: await work(tx, application) } as const;
  });
  if ('skipped' in outcome) {
    input.logger.info(`The stage was skipped because ${outcome.skipped}.`);
    return undefined;
  }
  return outcome.value;
}

/** Check that returns the reason a stage skips an application, or undefined when the stage should run. */
export type SkipCheck = (application: AuctionApplication) => string | undefined;

/** Skip a withdrawn, rejected or finished application, else ask the stage's own check. */
export function skipUnlessActive(check: SkipCheck = () => undefined): SkipCheck {
  return (application) => (isStopped(application) ? `application ${application.id} is ${application.status} and the pipeline stops there` : check(application));
}

/**
 * Read the application without a lock before a partner call, or log why the stage skips it and
 * return undefined. The stage checks again after locking, before it writes.
 */
export async function readApplication(db: Database, input: { applicationId: bigint; logger: { info(message: string): void }; skipReason: SkipCheck }): Promise<AuctionApplication | undefined> {
  const application = await findApplication(db.prisma, input.applicationId);
  const reason = application ? input.skipReason(application) : `application ${input.applicationId} no longer exists`;
  if (!application || reason) {
    input.logger.info(`The stage was skipped because ${reason}.`);
    return undefined;
  }
  return application;
}
