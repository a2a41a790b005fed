import { describe, expect, it } from 'vitest';
import { PartnerError } from '../src/integrations/http.js';
import { createGraphileLogger } from '../src/pipeline/graphile-logger.js';
import { captureLogs } from './support/logs.js';

describe('createGraphileLogger', () => {
  it('adds the ids of a failed job', () => {
    const { logger, lines } = captureLogs();
    const job = { id: '7', task_identifier: 'hand_off_lot', attempts: 2, max_attempts: 25, payload: { applicationId: '42' } };

    createGraphileLogger(logger).scope({ label: 'worker', workerId: 'worker-1' }).error("Failed task 7 (hand_off_lot, 12.00ms, attempt 2 of 25) with error 'boom'", {
      failure: true,
      job,
      error: new Error('boom'),
      duration: 12,
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, jobId: '7', task: 'hand_off_lot', attempt: 2, applicationId: '42', workerId: 'worker-1', durationMs: 12 });
    expect((lines[0]!.err as { message: string }).message).toBe('boom');
    expect(lines[0]).not.toHaveProperty('job');
  });

  it('warns on a transient partner error', () => {
    const { logger, lines } = captureLogs();
    const job = { id: '8', task_identifier: 'send_to_moderation', attempts: 1, max_attempts: 25, payload: { applicationId: '42' } };
    const error = new PartnerError('moderation', 'unavailable', 'moderation answered 503 to submit_case.', 503);

    createGraphileLogger(logger).scope({ label: 'worker' }).error("Failed task 8 (send_to_moderation, 5.00ms, attempt 1 of 25) with error 'moderation answered 503'", {
      failure: true,
      job,
      error,
      duration: 5,
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, jobId: '8', task: 'send_to_moderation', attempt: 1, applicationId: '42', partner: 'moderation', kind: 'unavailable', status: 503 });
    expect(lines[0]!.msg).toBe(
      'Job 8 (send_to_moderation) of application 42 hit a transient moderation error (unavailable) on attempt 1 of 25; graphile-worker will retry it: moderation answered 503 to submit_case.',
    );
  });

  it('keeps a last transient attempt an error', () => {
    const { logger, lines } = captureLogs();
    const job = { id: '9', task_identifier: 'send_to_moderation', attempts: 25, max_attempts: 25, payload: { applicationId: '42' } };
    const message = "Failed task 9 (send_to_moderation, 5.00ms, attempt 25 of 25) with error 'timed out'";

    createGraphileLogger(logger).scope({ label: 'worker' }).error(message, { failure: true, job, error: new PartnerError('moderation', 'timeout', 'timed out'), duration: 5 });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, jobId: '9', attempt: 25, msg: message });
  });

  it('leaves lines without a job alone', () => {
    const { logger, lines } = captureLogs();

    createGraphileLogger(logger).scope({ label: 'worker' }).info('Worker connected and looking for jobs...');

    expect(lines[0]).toMatchObject({ component: 'worker', msg: 'Worker connected and looking for jobs...' });
    expect(lines[0]).not.toHaveProperty('jobId');
    expect(lines[0]).not.toHaveProperty('applicationId');
  });
});
