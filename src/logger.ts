import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Create the root logger: JSON lines on standard output, one object per event, with the ids of
 * the request, application and job added by child loggers where they apply.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'auction-applications',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-service-token"]', 'headers.authorization', 'headers["x-service-token"]'],
      censor: '[redacted]',
    },
  });
}
