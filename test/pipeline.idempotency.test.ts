import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { JobHelpers } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptModerationVerdict } from '../src/pipeline/verdict-intake.js';
import type { Stage } from '../src/pipeline/stage.js';
import { applyModerationVerdict } from '../src/tasks/apply_moderation_verdict.js';
import { handOffLot } from '../src/tasks/hand_off_lot.js';
import { pollCarfax } from '../src/tasks/poll_carfax.js';
import { requestEnrichment } from '../src/tasks/request_enrichment.js';
import { sendToModeration } from '../src/tasks/send_to_moderation.js';
import { storeCmeReport } from '../src/tasks/store_cme_report.js';
import { sweepStuck } from '../src/tasks/sweep_stuck.js';
import { startPipelineHarness, type PipelineHarness } from './support/pipeline-harness.js';
import { insertTestApplication, pendingJobs } from './support/pipeline.js';

// Each stage runs twice in a row, as a retry after a crash at its last line would, and the
// second run must leave the database, S3 and the partners exactly as the first did. No worker
// runs here: the test calls the tasks itself.

let harness: PipelineHarness;
let s3: S3Client;
let jobCounter = 0;

beforeAll(async () => {
  harness = await startPipelineHarness({
    // The verdict is fed by the test, and the report is complete at the first poll.
    moderation: { verdictDelayMs: 3_600_000 },
    carfax: { completeAfterPolls: 0 },
    env: { CARFAX_FIRST_POLL_SECONDS: '3600' },
  });
  s3 = new S3Client({ endpoint: harness.s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});

afterAll(async () => {
  s3?.destroy();
  await harness?.close();
});

async function runJob(stage: Stage, payload: unknown): Promise<void> {
  jobCounter += 1;
  const helpers = { job: { id: `test-${jobCounter}`, attempts: 1, max_attempts: 25, locked_by: null } } as unknown as JobHelpers;
  await stage.task(harness.ctx)(payload, helpers);
}

/** Everything a stage may change, with the S3 objects as hashes of their bytes. */
async function snapshot(applicationId: bigint) {
  const row = await harness.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: applicationId } });
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: 'auction-reports', Prefix: `${applicationId}/` }));
  const objects: Record<string, string> = {};
  for (const object of listing.Contents ?? []) {
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'auction-reports', Key: object.Key! }));
    objects[object.Key!] = createHash('sha256').update(await stored.Body!.transformToByteArray()).digest('hex');
  }
  return {
    row: { ...row, offerBody: undefined },
    history: await harness.db.prisma.applicationHistory.count({ where: { applicationId } }),
    outbox: await harness.db.prisma.outboxEvent.count({ where: { applicationId } }),
    idempotencyRecords: await harness.db.prisma.idempotencyRecord.count(),
    jobs: await pendingJobs(harness.db),
    objects,
    moderationCases: harness.moderation.cases.size,
    carfaxRequests: harness.carfax.requests.size,
    cmeEvaluations: harness.cme.evaluations.size,
    lots: harness.lots.lots.length,
  };
}

async function runTwice(applicationId: bigint, stage: Stage, payload: unknown) {
  await runJob(stage, payload);
  const first = await snapshot(applicationId);
  await runJob(stage, payload);
  const second = await snapshot(applicationId);
  return { first, second };
}

describe('every stage run twice', () => {
  it('leaves the same state', async () => {
    const created = await insertTestApplication(harness.db);
    const applicationId = created.id.toString();

    const sent = await runTwice(created.id, sendToModeration, { applicationId });
    expect(sent.second).toEqual(sent.first);
    expect(sent.first.row.moderationStatus).toBe('PENDING');

    await acceptModerationVerdict(harness.ctx, { verdictId: 'verdict-1', applicationId, verdict: 'OK', decidedAt: new Date().toISOString() });
    const verdict = await runTwice(created.id, applyModerationVerdict, { applicationId, verdictId: 'verdict-1', verdict: 'OK' });
    expect(verdict.second).toEqual(verdict.first);
    expect(verdict.first.row.applicationStatus).toBe('MODERATED');

    await runJob(requestEnrichment, { applicationId });
    await harness.cme.settled();
    const enrichment = { first: await snapshot(created.id), second: undefined as unknown };
    await runJob(requestEnrichment, { applicationId });
    enrichment.second = await snapshot(created.id);
    expect(enrichment.second).toEqual(enrichment.first);
    expect(enrichment.first.row.applicationStatus).toBe('WAITING_DATA');

    const cmeJobs = (await pendingJobs(harness.db, 'store_cme_report')).map((job) => job.payload);
    expect(cmeJobs.map((job) => job.type).sort()).toEqual(['evaluation.done', 'inspection.done', 'status.changed']);
    for (const payload of cmeJobs) {
      const report = await runTwice(created.id, storeCmeReport, payload);
      expect(report.second, payload.type).toEqual(report.first);
    }

    const scan = await runTwice(created.id, pollCarfax, { _cron: { ts: new Date().toISOString() } });
    expect(scan.second).toEqual(scan.first);
    const poll = await runTwice(created.id, pollCarfax, { applicationId });
    expect(poll.second).toEqual(poll.first);
    expect(poll.first.row.waitingData).toEqual([]);

    const handOff = await runTwice(created.id, handOffLot, { applicationId });
    expect(handOff.second).toEqual(handOff.first);
    expect(handOff.first.row.applicationStatus).toBe('SENT');
    expect(handOff.first.lots).toBe(1);
    expect(Object.keys(handOff.first.objects).sort()).toEqual([`${applicationId}/cme-evaluation`, `${applicationId}/cme-inspection`, `${applicationId}/pro-auto`]);

    const sweep = await runTwice(created.id, sweepStuck, {});
    expect(sweep.second).toEqual(sweep.first);
  });
});
