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
        ...(error ? { err: error } : {}),
        ...(typeof meta?.duration === 'number' ? { durationMs: Math.round(meta.duration * 100) / 100 } : {}),
      };
      scoped[LEVELS[level] ?? 'info'](fields, message);
    };
  });
}
