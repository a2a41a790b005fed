import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type PipelineWorker } from '../src/worker.js';
import { startPipelineHarness, type PipelineHarness } from './support/pipeline-harness.js';
import { captureLogs } from './support/logs.js';
import { insertTestApplication } from './support/pipeline.js';

// A job that fails on a transient partner error must leave one log line per failed attempt,
// written by the worker's graphile-worker logger, not a second one from the stage.

let harness: PipelineHarness;
let worker: PipelineWorker | undefined;
const { logger, lines } = captureLogs('info');

beforeAll(async () => {
  // Moderation sends its verdict an hour later, so the only job to run is the submission.
  harness = await startPipelineHarness({ moderation: { verdictDelayMs: 3_600_000 } });
  worker = await startWorker({ ...harness.ctx, logger }, { cron: false, pollInterval: 200 });
});

afterAll(async () => {
  await worker?.stop();
  await harness?.close();
});

describe('failed job attempt', () => {
  it('logs one line per failure', async () => {
    // PARTNER_RETRIES is 1 in the harness, so two failed requests fail the first attempt once.
    harness.moderation.server.setFaults({ failNext: 2 });
    const created = await insertTestApplication(harness.db);

    await harness.waitForApplication(created.id, (application) => application.moderationStatus === 'PENDING');

    const applicationId = created.id.toString();
    const problems = lines.filter((line) => line.applicationId === applicationId && (line.level as number) >= 40);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ level: 40, task: 'send_to_moderation', attempt: 1, partner: 'moderation', kind: 'unavailable', status: 500 });
    expect(problems[0]!.jobId).toEqual(expect.any(String));
    expect(problems[0]!.msg).toContain(`of application ${applicationId} hit a transient moderation error (unavailable) on attempt 1 of 25`);
  }, 30_000);
});
