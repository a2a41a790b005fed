import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, parsed from pino's JSON. */
  lines: Record<string, any>[];
}

/** Create a pino logger that keeps its lines in memory, for tests that check what was logged. */
export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
