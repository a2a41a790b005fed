import { createHash, randomUUID } from 'node:crypto';
import { Prisma, type AuctionApplication, type Transaction } from '../db/prisma.js';
import type { Actor } from './actor.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from './errors.js';
import {
  canChangeApplicationStatus,
  canChangeStatus,
  nextApplicationStatuses,
  nextStatuses,
  statusPairProblem,
} from './statuses.js';

/** The columns of an application that a change may set. */
export type ApplicationChanges = Partial<
  Pick<
    AuctionApplication,
    | 'offerBody'
    | 'offerId'
    | 'vin'
    | 'inspectTime'
    | 'inspectPlace'
    | 'status'
    | 'applicationStatus'
    | 'moderationStatus'
    | 'waitingData'
    | 'proAutoRequestId'
    | 'proAutoReport'
    | 'cmeEvaluationId'
    | 'cmeEvaluation'
    | 'cmeInspection'
    | 'completedAt'
  >
>;

export const EVENT_TYPES = [
  'application.created',
  'application.changed',
  'application.rejected',
  'application.sent_to_auction',
  'application.withdrawn',
  'application.deleted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The version of the event payload; consumers branch on it when the shape changes. */
export const EVENT_VERSION = 1;

export interface ChangeResult {
  before: AuctionApplication;
  after: AuctionApplication;
  /** False when every value was already as requested: nothing was written. */
  changed: boolean;
}

/**
 * Every column of auction_applications under its field name in the Prisma model, so that one raw
 * `SELECT ... FOR UPDATE` locks the row and reads it as `findUnique` would: each Prisma model
 * query costs about a millisecond of CPU to compile, and the lock is on every change's path.
 * The record type makes a new model field a compile error here rather than a missing value.
 */
const APPLICATION_COLUMNS: Record<keyof AuctionApplication, string> = {
  id: 'application_id',
  userId: 'user_id',
  offerId: 'offer_id',
  vin: 'vin',
  offerBody: 'offer_body',
  inspectTime: 'inspect_time',
  inspectPlace: 'inspect_place',
  status: 'status',
  applicationStatus: 'application_status',
  moderationStatus: 'moderation_status',
  // An enum array arrives from the driver as its text form unless it is cast.
  waitingData: 'waiting_data::text[]',
  proAutoRequestId: 'pro_auto_request_id',
  proAutoReport: 'pro_auto_report',
  cmeEvaluationId: 'cme_evaluation_id',
  cmeEvaluation: 'cme_evaluation',
  cmeInspection: 'cme_inspection',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  completedAt: 'completed_at',
};

const SELECT_APPLICATION = Prisma.raw(
  Object.entries(APPLICATION_COLUMNS)
    .map(([field, column]) => `${column} AS "${field}"`)
    .join(', '),
);

/**
 * The rows each transaction has locked, as they are after its own changes. A row lock lasts until
 * the transaction ends and every write of an application goes through this module, so a second
 * lock of the same row in one transaction can return the row from here without a round trip.
 */
const lockedRows = new WeakMap<Transaction, Map<bigint, AuctionApplication>>();

function rememberLocked(tx: Transaction, application: AuctionApplication): void {
  // Outside a transaction the lock ends with the statement, so nothing may be remembered.
  if ('$transaction' in tx) {
    return;
  }
  let rows = lockedRows.get(tx);
  if (!rows) {
    rows = new Map();
    lockedRows.set(tx, rows);
  }
  rows.set(application.id, application);
}

/** Read an application as `findUnique` would, without a lock, in one raw query. */
export async function findApplication(db: Transaction, applicationId: bigint): Promise<AuctionApplication | undefined> {
  const [application] = await db.$queryRaw<AuctionApplication[]>`
    SELECT ${SELECT_APPLICATION} FROM auction_applications WHERE application_id = ${applicationId}`;
  return application;
}

/**
 * Lock an application row for the rest of the transaction and return it. Every change takes
 * this lock first, so concurrent changes of one application apply one after the other.
 */
export async function lockApplication(tx: Transaction, applicationId: bigint): Promise<AuctionApplication> {
  const locked = lockedRows.get(tx)?.get(applicationId);
  if (locked) {
    return locked;
  }
  const [application] = await tx.$queryRaw<AuctionApplication[]>`
    SELECT ${SELECT_APPLICATION} FROM auction_applications WHERE application_id = ${applicationId} FOR UPDATE`;
  if (!application) {
    throw new NotFoundError('Application', applicationId.toString());
  }
  rememberLocked(tx, application);
  return application;
}

/**
 * Facts about a change beyond its changed fields, such as `{ reason }` of a moderation rejection.
 * They are stored on the history entry and sent in the outbox event, so the seller's timeline
 * and other services see them.
 */
export type ChangeDetails = Prisma.InputJsonObject;

export interface ChangeInput {
  applicationId: bigint;
  actor: Actor;
  action: string;
  set: ApplicationChanges;
  eventType?: EventType;
  details?: ChangeDetails;
}

/**
 * Apply a change to an application inside the caller's transaction: validate the status
 * transitions, update the row, and write one history entry and one outbox event. Setting values
 * the row already has writes nothing, not even the details, which keeps retried jobs and
 * repeated webhooks harmless.
 */
export async function changeApplication(tx: Transaction, input: ChangeInput): Promise<ChangeResult> {
  const before = await lockApplication(tx, input.applicationId);
  const diff = diffChanges(before, input.set);
  if (Object.keys(diff).length === 0) {
    return { before, after: before, changed: false };
  }

  const status = input.set.status ?? before.status;
  const applicationStatus = input.set.applicationStatus ?? before.applicationStatus;
  if (!canChangeStatus(before.status, status)) {
    throw new InvalidTransitionError('status', before.status, status, nextStatuses(before.status));
  }
  if (!canChangeApplicationStatus(before.applicationStatus, applicationStatus)) {
    throw new InvalidTransitionError('applicationStatus', before.applicationStatus, applicationStatus, nextApplicationStatuses(before.applicationStatus));
  }
  const pairProblem = statusPairProblem(status, applicationStatus);
  if (pairProblem) {
    throw new ValidationError('status', 'status_pair', { detail: pairProblem });
  }

  const after = await tx.auctionApplication.update({ where: { id: input.applicationId }, data: input.set });
  rememberLocked(tx, after);
  const eventType = input.eventType ?? eventTypeForChange(before, after);
  await recordHistoryAndEvent(tx, { application: after, actor: input.actor, action: input.action, changes: diff, eventType, details: input.details });
  return { before, after, changed: true };
}

/** Insert a new application with its history entry and `application.created` event. */
export async function insertApplication(
  tx: Transaction,
  input: { data: Prisma.AuctionApplicationUncheckedCreateInput; actor: Actor },
): Promise<AuctionApplication> {
  const application = await tx.auctionApplication.create({ data: input.data });
  await recordHistoryAndEvent(tx, {
    application,
    actor: input.actor,
    action: 'CREATED',
    changes: { status: { from: null, to: application.status }, applicationStatus: { from: null, to: application.applicationStatus } },
    eventType: 'application.created',
  });
  return application;
}

/**
 * Delete an application and its history, leaving one `application.deleted` event in the outbox.
 * The event carries only the id, because deletion serves data-erasure requests.
 */
export async function deleteApplicationRecord(tx: Transaction, input: { applicationId: bigint; actor: Actor }): Promise<AuctionApplication> {
  const application = await lockApplication(tx, input.applicationId);
  await tx.auctionApplication.delete({ where: { id: input.applicationId } });
  lockedRows.get(tx)?.delete(input.applicationId);
  const eventId = randomUUID();
  await tx.outboxEvent.create({
    data: {
      eventId,
      applicationId: input.applicationId,
      eventType: 'application.deleted',
      payload: {
        version: EVENT_VERSION,
        eventId,
        type: 'application.deleted',
        occurredAt: new Date().toISOString(),
        applicationId: input.applicationId.toString(),
        actor: { ...input.actor },
      },
    },
  });
  return application;
}

/** Choose the event type that describes a change, trying the most specific type first. */
export function eventTypeForChange(before: AuctionApplication, after: AuctionApplication): EventType {
  if (after.status !== before.status && after.status === 'REJECTED') {
    return 'application.rejected';
  }
  if (after.status !== before.status && after.status === 'WITHDRAWN') {
    return 'application.withdrawn';
  }
  if (after.applicationStatus !== before.applicationStatus && after.applicationStatus === 'SENT') {
    return 'application.sent_to_auction';
  }
  return 'application.changed';
}

/** Build the public view of an application for events and history, without the offer body and with ids as strings. */
export function applicationSnapshot(application: AuctionApplication) {
  return {
    id: application.id.toString(),
    userId: application.userId,
    offerId: application.offerId,
    vin: application.vin,
    status: application.status,
    applicationStatus: application.applicationStatus,
    moderationStatus: application.moderationStatus,
    waitingData: application.waitingData,
    inspectTime: application.inspectTime.toISOString(),
    inspectPlace: application.inspectPlace,
    proAutoReport: application.proAutoReport,
    cmeEvaluation: application.cmeEvaluation,
    cmeInspection: application.cmeInspection,
    createdAt: application.createdAt.toISOString(),
    updatedAt: application.updatedAt.toISOString(),
    completedAt: application.completedAt?.toISOString() ?? null,
  };
}

type FieldChange = { from: Prisma.JsonValue; to: Prisma.JsonValue };

/**
 * Write the history entry and the outbox event in one statement: two Prisma model queries cost
 * about twice the CPU and one more round trip, on the path of every change. The column values are
 * the ones Prisma would write, including the client-side `created_at`.
 */
async function recordHistoryAndEvent(
  tx: Transaction,
  input: { application: AuctionApplication; actor: Actor; action: string; changes: Record<string, FieldChange>; eventType: EventType; details?: ChangeDetails },
): Promise<void> {
  const { application, actor } = input;
  const now = new Date();
  const eventId = randomUUID();
  const payload = {
    version: EVENT_VERSION,
    eventId,
    type: input.eventType,
    occurredAt: now.toISOString(),
    applicationId: application.id.toString(),
    actor: { ...actor },
    action: input.action,
    changes: input.changes,
    ...(input.details === undefined ? {} : { details: input.details }),
    application: applicationSnapshot(application),
  };
  const details = input.details === undefined ? null : JSON.stringify(input.details);
  await tx.$executeRaw`
    WITH history AS (
      INSERT INTO application_history (application_id, action, actor_type, actor_id, status, changes, details, created_at)
      VALUES (${application.id}, ${input.action}, ${actor.type}::"ACTOR_TYPE", ${actor.id}, ${application.status}::"STATUS",
              ${JSON.stringify(input.changes)}::jsonb, ${details}::jsonb, ${now})
    )
    INSERT INTO outbox_events (event_id, application_id, event_type, payload, created_at)
    VALUES (${eventId}::uuid, ${application.id}, ${input.eventType}, ${JSON.stringify(payload)}::jsonb, ${now})`;
}

function diffChanges(before: AuctionApplication, set: ApplicationChanges): Record<string, FieldChange> {
  const diff: Record<string, FieldChange> = {};
  for (const [field, value] of Object.entries(set) as [keyof ApplicationChanges, unknown][]) {
    if (value === undefined) {
      continue;
    }
    const from = toJsonValue(before[field]);
    const to = toJsonValue(value);
    if (JSON.stringify(from) !== JSON.stringify(to)) {
      diff[field] = { from, to };
    }
  }
  return diff;
}

/**
 * Convert a column value for JSON storage. The offer body is stored as its SHA-256, because the
 * history must not copy the seller's personal details a second time.
 */
function toJsonValue(value: unknown): Prisma.JsonValue {
  if (value === null || value === undefined) {
    return null;
  }
  if (value instanceof Uint8Array) {
    return `sha256:${createHash('sha256').update(value).digest('hex')}`;
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  if (Array.isArray(value)) {
    return [...value].map((item) => toJsonValue(item)).sort() as Prisma.JsonValue;
  }
  return value as Prisma.JsonValue;
}
