import type { ApplicationStatus, Status } from '../db/prisma.js';

/**
 * The lifecycle graph of an application: which end-to-end statuses (seen by the seller and the
 * other auction services) and which internal pipeline states may follow which. The API and the
 * pipeline tasks both validate every change here, so an impossible change is an error in both.
 */

/** End-to-end statuses after which nothing changes any more. */
export const FINAL_STATUSES: ReadonlySet<Status> = new Set(['REJECTED', 'WITHDRAWN', 'FINISHED']);

/** Statuses from which the seller may still withdraw: everything before the auction starts. */
export const WITHDRAWABLE_STATUSES: ReadonlySet<Status> = new Set(['NEW', 'WAITING_INSPECTION', 'INSPECTED']);

const STATUS_TRANSITIONS: Record<Status, readonly Status[]> = {
  NEW: ['WAITING_INSPECTION', 'REJECTED', 'WITHDRAWN'],
  WAITING_INSPECTION: ['INSPECTED', 'REJECTED', 'WITHDRAWN'],
  INSPECTED: ['AUCTION', 'REJECTED', 'WITHDRAWN'],
  AUCTION: ['FINISHED', 'REJECTED'],
  FINISHED: [],
  REJECTED: [],
  WITHDRAWN: [],
};

const APPLICATION_STATUS_TRANSITIONS: Record<ApplicationStatus, readonly ApplicationStatus[]> = {
  NEW: ['MODERATED', 'REJECTED', 'WITHDRAWN'],
  MODERATED: ['WAITING_DATA', 'REJECTED', 'WITHDRAWN'],
  WAITING_DATA: ['READY', 'REJECTED', 'WITHDRAWN'],
  READY: ['SENT', 'REJECTED', 'WITHDRAWN'],
  SENT: ['REJECTED', 'WITHDRAWN'],
  REJECTED: [],
  WITHDRAWN: [],
};

/** Check whether an application with this end-to-end status counts as active (one per VIN). */
export function isActive(status: Status): boolean {
  return !FINAL_STATUSES.has(status);
}

export function canChangeStatus(from: Status, to: Status): boolean {
  return from === to || STATUS_TRANSITIONS[from].includes(to);
}

export function canChangeApplicationStatus(from: ApplicationStatus, to: ApplicationStatus): boolean {
  return from === to || APPLICATION_STATUS_TRANSITIONS[from].includes(to);
}

/** Return the end-to-end statuses that may follow `from`, for error messages and the API docs. */
export function nextStatuses(from: Status): readonly Status[] {
  return STATUS_TRANSITIONS[from];
}

export function nextApplicationStatuses(from: ApplicationStatus): readonly ApplicationStatus[] {
  return APPLICATION_STATUS_TRANSITIONS[from];
}

/**
 * Extra rules that tie the two status columns together: the auction starts only for a lot that
 * was handed on, and rejection and withdrawal are set in both columns at once.
 */
export function statusPairProblem(status: Status, applicationStatus: ApplicationStatus): string | undefined {
  if ((status === 'AUCTION' || status === 'FINISHED') && applicationStatus !== 'SENT') {
    return `status ${status} needs application_status SENT, but it is ${applicationStatus}`;
  }
  if ((status === 'REJECTED') !== (applicationStatus === 'REJECTED')) {
    return `REJECTED must be set in both status columns, but they are ${status} and ${applicationStatus}`;
  }
  if ((status === 'WITHDRAWN') !== (applicationStatus === 'WITHDRAWN')) {
    return `WITHDRAWN must be set in both status columns, but they are ${status} and ${applicationStatus}`;
  }
  return undefined;
}
