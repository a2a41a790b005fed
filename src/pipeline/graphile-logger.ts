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
      scoped[LEVELS[level] ?? 'info'](fields, message);
    };
  });
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
