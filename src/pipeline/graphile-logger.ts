import { Logger as GraphileLogger, type LogLevel } from 'graphile-worker';
import type { Logger } from '../logger.js';

const LEVELS: Record<LogLevel, 'error' | 'warn' | 'info' | 'debug'> = { error: 'error', warning: 'warn', info: 'info', debug: 'debug' };

/**
 * Route graphile-worker's log lines through the service's pino logger. graphile-worker's own
 * messages are already sentences with the job id, task, attempt and duration, such as
 * "Completed task 7 (hand_off_lot, 12.30ms) with success". Its scope becomes pino fields. Of its
 * metadata only the error and the duration are kept, because the rest repeats the job row with
 * its payload.
 */
export function createGraphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => {
    const scoped = logger.child({
      component: scope.label ?? 'graphile-worker',
      ...(scope.workerId ? { workerId: scope.workerId } : {}),
      ...(scope.taskIdentifier ? { task: scope.taskIdentifier } : {}),
      ...(scope.jobId ? { jobId: scope.jobId } : {}),
    });
    return (level, message, meta) => {
      const error = meta?.error ?? meta?.fatalError;
      const fields = {
        ...jobFields(meta?.job),
        ...(error ? { err: error } : {}),
        ...(typeof meta?.duration === 'number' ? { durationMs: Math.round(meta.duration * 100) / 100 } : {}),
      };
      const retry = meta?.failure ? transientPartnerRetry(meta.job, error) : undefined;
      if (retry) {
        scoped.warn({ ...fields, ...retry.fields }, retry.message);
        return;
      }
      scoped[LEVELS[level] ?? 'info'](fields, message);
    };
  });
}

/**
 * The warning for a failed attempt that graphile-worker will retry because a partner failed
 * transiently (timeout, connection failure, 429, 5xx). Such failures are expected during a
 * partner's outage, so they are warnings, and only the last attempt stays an error. The check
 * reads the error's fields instead of using `instanceof PartnerError`, because the
 * graphile-worker CLI loads this module and the tasks as separate copies.
 */
function transientPartnerRetry(job: unknown, error: unknown): { message: string; fields: Record<string, unknown> } | undefined {
  if (typeof job !== 'object' || job === null || typeof error !== 'object' || error === null) {
    return undefined;
  }
  const partnerError = error as { partner?: unknown; kind?: unknown; status?: unknown; transient?: unknown; message?: unknown };
  const { id, task_identifier: task, attempts, max_attempts: maxAttempts, payload } = job as Record<string, unknown>;
  if (typeof partnerError.partner !== 'string' || partnerError.transient !== true || typeof attempts !== 'number' || typeof maxAttempts !== 'number' || attempts >= maxAttempts) {
    return undefined;
  }
  const applicationId = typeof payload === 'object' && payload !== null ? (payload as { applicationId?: unknown }).applicationId : undefined;
  const of = typeof applicationId === 'string' ? ` of application ${applicationId}` : '';
  return {
    message: `Job ${String(id)} (${String(task)})${of} hit a transient ${partnerError.partner} error (${String(partnerError.kind)}) on attempt ${attempts} of ${maxAttempts}; graphile-worker will retry it: ${String(partnerError.message)}`,
    fields: { partner: partnerError.partner, kind: partnerError.kind, ...(partnerError.status === undefined ? {} : { status: partnerError.status }) },
  };
}

/**
 * The ids of the job that a log line is about. graphile-worker names the job only in the text of
 * lines such as "Failed task 7 (...)", so its id, and the application id of its payload, become
 * fields that a log search can filter on.
 */
function jobFields(job: unknown): Record<string, string | number> {
  if (typeof job !== 'object' || job === null) {
    return {};
  }
  const { id, task_identifier: task, attempts, payload } = job as { id?: unknown; task_identifier?: unknown; attempts?: unknown; payload?: unknown };
  const applicationId = typeof payload === 'object' && payload !== null ? (payload as { applicationId?: unknown }).applicationId : undefined;
  return {
    ...(id !== undefined ? { jobId: String(id) } : {}),
    ...(typeof task === 'string' ? { task } : {}),
    ...(typeof attempts === 'number' ? { attempt: attempts } : {}),
    ...(typeof applicationId === 'string' ? { applicationId } : {}),
  };
}
