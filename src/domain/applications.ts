import { createHash } from 'node:crypto';
import { Prisma, type AuctionApplication, type ModerationStatus, type PrismaClient, type Status } from '../db/prisma.js';
import type { Integrations } from '../context.js';
import { addJobInTransaction, applicationQueue } from '../jobs/add-job.js';
import type { Logger } from '../logger.js';
import type { Actor } from './actor.js';
import { changeApplication, deleteApplicationRecord, insertApplication, lockApplication, type ApplicationChanges } from './changes.js';
import { checkEligibility } from './eligibility.js';
import { ActiveApplicationExistsError, InvalidTransitionError, NotFoundError, PartnerUnavailableError, ValidationError } from './errors.js';
import { parseOffer } from './offer.js';
import { nextStatuses, WITHDRAWABLE_STATUSES } from './statuses.js';
import type { VinWarning } from './vin.js';

/**
 * The operations on applications that the API offers. Each validates its input, applies the
 * rules and makes its change through src/domain/changes.ts in one transaction. So the row, its
 * history entry and its outbox event are written together or not at all.
 */

export interface ApplicationDependencies {
  prisma: PrismaClient;
  integrations: Pick<Integrations, 'tradeIn' | 'reports'>;
  logger: Logger;
}

/** The task that sends a new application to moderation, the first stage of the pipeline. */
export const SEND_TO_MODERATION_TASK = 'send_to_moderation';

export const INSPECT_PLACE_MAX_LENGTH = 500;

/** The idempotency scope of `createApplication` retries; `prune_records` expires these records. */
export const CREATE_APPLICATION_SCOPE = 'create_application';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export interface CreateApplicationInput {
  sellerId: string;
  /** The offer in the classifieds API shape, stored byte for byte as JSON. */
  offer: unknown;
  inspectTime: Date;
  inspectPlace: string;
  /** The client's key for retries of one submission: a repeat returns the first result. */
  idempotencyKey?: string;
  now?: Date;
}

export interface CreateApplicationResult {
  application: AuctionApplication;
  vinWarnings: VinWarning[];
  /** True when the idempotency key matched an earlier submission and nothing new was created. */
  replayed: boolean;
}

/**
 * Create an application: validate the offer and the inspection wish, run the eligibility
 * checks, then insert the row and enqueue moderation in one transaction. The trade-in call
 * happens before the transaction, so no database connection waits on a partner. Two concurrent
 * submissions for one VIN may both pass the checks. The partial unique index on active VINs
 * then lets only one commit, and the other gets ActiveApplicationExistsError.
 */
export async function createApplication(dependencies: ApplicationDependencies, input: CreateApplicationInput): Promise<CreateApplicationResult> {
  const now = input.now ?? new Date();
  const offer = parseOffer(input.offer, { sellerId: input.sellerId, now });
  const inspectPlace = validateInspection(input.inspectTime, input.inspectPlace, now);

  const idempotency = input.idempotencyKey === undefined ? undefined : idempotencyRecordKey(input);
  if (idempotency) {
    const earlier = await findEarlierSubmission(dependencies.prisma, idempotency);
    if (earlier) {
      return { application: earlier, vinWarnings: offer.vinWarnings, replayed: true };
    }
  }

  const eligibility = await checkEligibility({ db: dependencies.prisma, tradeIn: dependencies.integrations.tradeIn, logger: dependencies.logger }, offer, input.offer);
  if (!eligibility.eligible) {
    // A concurrent retry with the same key may have committed between the lookup above and the
    // check of active applications, which then finds the retry's own application.
    if (idempotency && eligibility.check === 'ACTIVE_APPLICATION') {
      const earlier = await findEarlierSubmission(dependencies.prisma, idempotency);
      if (earlier) {
        return { application: earlier, vinWarnings: offer.vinWarnings, replayed: true };
      }
    }
    throw eligibility.error;
  }

  const actor: Actor = { type: 'SELLER', id: input.sellerId };
  try {
    const application = await dependencies.prisma.$transaction(async (tx) => {
      const created = await insertApplication(tx, {
        actor,
        data: {
          userId: input.sellerId,
          offerId: offer.id,
          vin: offer.vin,
          offerBody: new TextEncoder().encode(JSON.stringify(input.offer)),
          inspectTime: input.inspectTime,
          inspectPlace,
        },
      });
      await addJobInTransaction(
        tx,
        SEND_TO_MODERATION_TASK,
        { applicationId: created.id.toString() },
        { queueName: applicationQueue(created.id), jobKey: `${SEND_TO_MODERATION_TASK}:${created.id}` },
      );
      if (idempotency) {
        await tx.idempotencyRecord.create({
          data: { scope: CREATE_APPLICATION_SCOPE, key: idempotency.key, requestHash: idempotency.requestHash, response: { applicationId: created.id.toString() } },
        });
      }
      return created;
    });
    dependencies.logger.info(
      { applicationId: application.id.toString(), offerId: offer.id, userId: input.sellerId },
      `Application ${application.id} was created for offer ${offer.id} of seller ${input.sellerId}.`,
    );
    return { application, vinWarnings: offer.vinWarnings, replayed: false };
  } catch (error) {
    if (idempotency && (uniqueViolationOf(error, 'IdempotencyRecord') || uniqueViolationOf(error, 'AuctionApplication'))) {
      // A concurrent retry with the same key may have committed first, and then its insert of
      // the same VIN or of the same key failed this one: return the retry's application.
      const earlier = await findEarlierSubmission(dependencies.prisma, idempotency);
      if (earlier) {
        return { application: earlier, vinWarnings: offer.vinWarnings, replayed: true };
      }
    }
    if (uniqueViolationOf(error, 'AuctionApplication')) {
      throw new ActiveApplicationExistsError(offer.vin);
    }
    throw error;
  }
}

/**
 * Withdraw a seller's own application while the auction has not started. Withdrawing an
 * application that is already withdrawn changes nothing and succeeds, so a client may retry.
 * Another seller's application is reported as not found, so ids reveal nothing.
 */
export async function withdrawApplication(
  dependencies: ApplicationDependencies,
  input: { applicationId: bigint; sellerId: string },
): Promise<{ application: AuctionApplication; changed: boolean }> {
  const result = await dependencies.prisma.$transaction(async (tx) => {
    const application = await lockApplication(tx, input.applicationId);
    if (application.userId !== input.sellerId) {
      throw new NotFoundError('Application', input.applicationId.toString());
    }
    if (application.status === 'WITHDRAWN') {
      return { application, changed: false };
    }
    if (!WITHDRAWABLE_STATUSES.has(application.status)) {
      throw new InvalidTransitionError('status', application.status, 'WITHDRAWN', nextStatuses(application.status));
    }
    const change = await changeApplication(tx, {
      applicationId: input.applicationId,
      actor: { type: 'SELLER', id: input.sellerId },
      action: 'WITHDRAWN',
      set: { status: 'WITHDRAWN', applicationStatus: 'WITHDRAWN' },
    });
    return { application: change.after, changed: change.changed };
  });
  if (result.changed) {
    dependencies.logger.info({ applicationId: input.applicationId.toString() }, `Application ${input.applicationId} was withdrawn by seller ${input.sellerId}.`);
  }
  return result;
}

export interface EditApplicationInput {
  applicationId: bigint;
  actor: Actor;
  offer?: unknown;
  proAutoUrl?: string;
  cmeEvaluationUrl?: string;
  cmeInspectionUrl?: string;
  moderationStatus?: ModerationStatus;
}

/**
 * Edit an application on behalf of another service. A new offer must belong to the same
 * seller; report URLs must be http(s). Statuses are left alone, so the pipeline's state
 * machine stays in charge of them.
 */
export async function editApplication(
  dependencies: ApplicationDependencies,
  input: EditApplicationInput,
): Promise<{ application: AuctionApplication; changed: boolean }> {
  const set: ApplicationChanges = {};
  if (input.proAutoUrl !== undefined) set.proAutoReport = validateUrl(input.proAutoUrl, 'proAutoUrl');
  if (input.cmeEvaluationUrl !== undefined) set.cmeEvaluation = validateUrl(input.cmeEvaluationUrl, 'cmeEvaluationUrl');
  if (input.cmeInspectionUrl !== undefined) set.cmeInspection = validateUrl(input.cmeInspectionUrl, 'cmeInspectionUrl');
  if (input.moderationStatus !== undefined) set.moderationStatus = input.moderationStatus;
  if (input.offer === undefined && Object.keys(set).length === 0) {
    throw new ValidationError('editApplication', 'nothing_to_change');
  }

  try {
    const change = await dependencies.prisma.$transaction(async (tx) => {
      const current = await lockApplication(tx, input.applicationId);
      if (input.offer !== undefined) {
        const offer = parseOffer(input.offer, { sellerId: current.userId });
        set.offerBody = new TextEncoder().encode(JSON.stringify(input.offer));
        set.offerId = offer.id;
        set.vin = offer.vin;
      }
      return changeApplication(tx, { applicationId: input.applicationId, actor: input.actor, action: 'EDITED', set });
    });
    if (change.changed) {
      dependencies.logger.info({ applicationId: input.applicationId.toString() }, `Application ${input.applicationId} was edited by ${input.actor.id}.`);
    }
    return { application: change.after, changed: change.changed };
  } catch (error) {
    if (uniqueViolationOf(error, 'AuctionApplication')) {
      throw new ActiveApplicationExistsError(set.vin ?? '');
    }
    throw error;
  }
}

/**
 * Set the end-to-end status, as the lots service does during and after the auction. Rejection
 * and withdrawal are final in both status columns, so they set the internal status too.
 */
export async function updateApplicationStatus(
  dependencies: ApplicationDependencies,
  input: { applicationId: bigint; status: Status; actor: Actor },
): Promise<{ application: AuctionApplication; changed: boolean }> {
  const set: ApplicationChanges = { status: input.status };
  if (input.status === 'REJECTED' || input.status === 'WITHDRAWN') {
    set.applicationStatus = input.status;
  }
  const change = await dependencies.prisma.$transaction((tx) =>
    changeApplication(tx, { applicationId: input.applicationId, actor: input.actor, action: 'STATUS_CHANGED', set }),
  );
  if (change.changed) {
    dependencies.logger.info(
      { applicationId: input.applicationId.toString(), status: input.status },
      `Application ${input.applicationId} changed status from ${change.before.status} to ${input.status} at the request of ${input.actor.id}.`,
    );
  }
  return { application: change.after, changed: change.changed };
}

/**
 * Erase an application and its reports, for data-erasure requests. The reports go first: if
 * the report store fails, the row stays and the caller can repeat the request, whereas rows
 * deleted first would leave reports that nothing points to any more.
 */
export async function deleteApplication(dependencies: ApplicationDependencies, input: { applicationId: bigint; actor: Actor }): Promise<AuctionApplication> {
  const id = input.applicationId.toString();
  const exists = await dependencies.prisma.auctionApplication.findUnique({ where: { id: input.applicationId }, select: { id: true } });
  if (!exists) {
    throw new NotFoundError('Application', id);
  }
  try {
    await dependencies.integrations.reports.deleteAll(id);
  } catch (error) {
    dependencies.logger.warn({ applicationId: id, err: error }, `Deleting the reports of application ${id} failed, so the application was kept.`);
    throw new PartnerUnavailableError('reports', undefined, (error as Error).message);
  }
  const application = await dependencies.prisma.$transaction((tx) => deleteApplicationRecord(tx, { applicationId: input.applicationId, actor: input.actor }));
  dependencies.logger.info({ applicationId: id }, `Application ${id} and its reports were deleted at the request of ${input.actor.id}.`);
  return application;
}

/** Read an application id given as the raw number or as a Relay global ID of an Application. */
export function parseApplicationId(raw: string | number | bigint, field = 'id'): bigint {
  const text = String(raw).trim();
  let digits = text;
  if (!/^\d+$/.test(text)) {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    const match = /^Application:(\d+)$/.exec(decoded);
    if (!match) {
      throw new ValidationError(field, 'invalid_id', { value: text });
    }
    digits = match[1]!;
  }
  const id = BigInt(digits);
  // BIGSERIAL tops out at 2^63 - 1; a larger number would fail inside PostgreSQL instead.
  if (id < 1n || id > 9_223_372_036_854_775_807n) {
    throw new ValidationError(field, 'invalid_id', { value: text });
  }
  return id;
}

function validateInspection(inspectTime: Date, inspectPlace: string, now: Date): string {
  if (Number.isNaN(inspectTime.getTime()) || inspectTime.getTime() <= now.getTime()) {
    throw new ValidationError('input.inspectTime', 'inspect_time_past', { value: Number.isNaN(inspectTime.getTime()) ? undefined : inspectTime.toISOString() });
  }
  const place = inspectPlace.trim();
  if (place.length === 0) {
    throw new ValidationError('input.inspectPlace', 'inspect_place_empty');
  }
  if (place.length > INSPECT_PLACE_MAX_LENGTH) {
    throw new ValidationError('input.inspectPlace', 'inspect_place_too_long', { maximum: INSPECT_PLACE_MAX_LENGTH });
  }
  return place;
}

function validateUrl(value: string, field: string): string {
  const url = URL.parse(value.trim());
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ValidationError(field, 'invalid_url', { value });
  }
  return url.toString();
}

interface IdempotencyRecordKey {
  key: string;
  requestHash: string;
}

function idempotencyRecordKey(input: CreateApplicationInput): IdempotencyRecordKey {
  const idempotencyKey = input.idempotencyKey!;
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError('input.idempotencyKey', 'invalid_format', { value: idempotencyKey });
  }
  const request = JSON.stringify([input.offer, input.inspectTime.toISOString(), input.inspectPlace]);
  return {
    // The seller id prefixes the key, so two sellers' clients cannot collide or read each other's results.
    key: `${input.sellerId}:${idempotencyKey}`,
    requestHash: createHash('sha256').update(request).digest('hex'),
  };
}

/**
 * Find the application that an earlier submission with the same idempotency key created, or
 * return undefined for a new key. Throws a ValidationError when the key came with another request.
 */
async function findEarlierSubmission(prisma: PrismaClient, idempotency: IdempotencyRecordKey): Promise<AuctionApplication | undefined> {
  const record = await prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope: CREATE_APPLICATION_SCOPE, key: idempotency.key } } });
  if (!record) {
    return undefined;
  }
  if (record.requestHash !== idempotency.requestHash) {
    throw new ValidationError('input.idempotencyKey', 'idempotency_key_reused');
  }
  const applicationId = (record.response as { applicationId?: string } | null)?.applicationId ?? '0';
  const application = await prisma.auctionApplication.findUnique({ where: { id: BigInt(applicationId) } });
  if (!application) {
    throw new NotFoundError('Application', applicationId);
  }
  return application;
}

function uniqueViolationOf(error: unknown, modelName: string): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002' && error.meta?.modelName === modelName;
}
