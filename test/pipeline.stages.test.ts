import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withdrawApplication } from '../src/domain/applications.js';
import { enqueueStage, TASK } from '../src/pipeline/jobs.js';
import { startPipelineHarness, type PipelineHarness } from './support/pipeline-harness.js';
import { insertTestApplication, nextVin, pendingJobs } from './support/pipeline.js';

// The pipeline's behaviour with partners that reject, lag, repeat themselves or fail, each
// against real sandboxes over HTTP, a real database and s3rver.

let harness: PipelineHarness;
const failingVin = nextVin();

beforeAll(async () => {
  harness = await startPipelineHarness({
    moderation: { failVins: [failingVin] },
    cme: { repeat: 3 },
    env: { CARFAX_FIRST_POLL_SECONDS: '3600' },
  });
  await harness.startWorker();
});

afterAll(async () => {
  await harness?.close();
});

async function storedKeys(applicationId: bigint): Promise<string[]> {
  const client = new S3Client({
    endpoint: harness.s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  try {
    const listing = await client.send(new ListObjectsV2Command({ Bucket: 'auction-reports', Prefix: `${applicationId}/` }));
    return (listing.Contents ?? []).map((object) => object.Key!).sort();
  } finally {
    client.destroy();
  }
}

async function historyActions(applicationId: bigint): Promise<string[]> {
  const history = await harness.db.prisma.applicationHistory.findMany({ where: { applicationId }, orderBy: { id: 'asc' } });
  return history.map((entry) => entry.action);
}

describe('moderation', () => {
  it('FAILED rejects and stops', async () => {
    const created = await insertTestApplication(harness.db, { vin: failingVin });

    const rejected = await harness.waitForApplication(created.id, (application) => application.status === 'REJECTED');
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(rejected.applicationStatus).toBe('REJECTED');
    expect(rejected.moderationStatus).toBe('FAILED');
    expect(rejected.waitingData).toEqual([]);
    expect(rejected.proAutoRequestId).toBeNull();
    expect(rejected.cmeEvaluationId).toBeNull();
    expect([...harness.carfax.requests.values()].filter((request) => request.vin === failingVin)).toHaveLength(0);
    expect(await pendingJobs(harness.db)).toEqual([]);
    expect(await historyActions(created.id)).toEqual(['CREATED', 'SENT_TO_MODERATION', 'MODERATION_FAILED']);
    const rejection = await harness.db.prisma.applicationHistory.findFirstOrThrow({ where: { applicationId: created.id, action: 'MODERATION_FAILED' } });
    expect(rejection.details).toMatchObject({ reason: `The VIN ${failingVin} is on the sandbox's fail list.` });
    expect((rejection.details as { verdictId?: unknown }).verdictId).toEqual(expect.any(String));
  });
});

describe('CARFAX polling', () => {
  it('stores the report only when complete', async () => {
    const vin = nextVin();
    harness.carfax.completeAfterPolls = (candidate) => (candidate === vin ? 3 : 1);
    const created = await insertTestApplication(harness.db, { vin });
    const waiting = await harness.waitForApplication(
      created.id,
      (application) => application.applicationStatus === 'WAITING_DATA' && application.cmeEvaluation !== null && application.cmeInspection !== null,
      { pollCarfax: false },
    );
    const request = harness.carfax.requests.get(waiting.proAutoRequestId!)!;

    for (let poll = 1; poll <= 3; poll += 1) {
      await harness.pollCarfaxNow();
      await waitUntil(() => request.polls >= poll);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const current = await harness.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: created.id } });
      expect(current.waitingData).toEqual(['CARFAX']);
      expect(current.proAutoReport).toBeNull();
    }
    expect(await storedKeys(created.id)).toEqual([`${created.id}/cme-evaluation`, `${created.id}/cme-inspection`]);

    await harness.pollCarfaxNow();
    const sent = await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'SENT');

    expect(request.polls).toBe(4);
    expect(sent.proAutoReport).not.toBeNull();
    expect(await storedKeys(created.id)).toEqual([`${created.id}/cme-evaluation`, `${created.id}/cme-inspection`, `${created.id}/pro-auto`]);
  });
});

describe('CME webhooks', () => {
  it('repeated deliveries store each report once', async () => {
    const created = await insertTestApplication(harness.db);

    const sent = await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'SENT');
    await harness.cme.settled();

    const delivered = harness.cme.delivered.filter((event) => event.evaluationId === sent.cmeEvaluationId);
    expect(delivered).toHaveLength(9);
    expect(new Set(delivered.map((event) => event.eventId)).size).toBe(3);
    const actions = await historyActions(created.id);
    expect(actions.filter((action) => action === 'CME_REPORT_STORED')).toHaveLength(2);
    expect(await storedKeys(created.id)).toEqual([`${created.id}/cme-evaluation`, `${created.id}/cme-inspection`, `${created.id}/pro-auto`]);
  });

  it('out of order deliveries complete', async () => {
    harness.cme.outOfOrder = true;
    try {
      const created = await insertTestApplication(harness.db);

      const sent = await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'SENT');

      expect(sent.status).toBe('INSPECTED');
      expect(sent.cmeEvaluation).not.toBeNull();
      expect(sent.cmeInspection).not.toBeNull();
    } finally {
      harness.cme.outOfOrder = false;
    }
  });

  it('badly signed deliveries change nothing', async () => {
    const created = await insertTestApplication(harness.db);
    const waiting = await harness.waitForApplication(created.id, (application) => application.cmeEvaluationId !== null);
    const before = await harness.db.prisma.idempotencyRecord.count();

    const forged = harness.cme.sendWebhook(
      { eventId: 'evt-forged', type: 'inspection.done', evaluationId: waiting.cmeEvaluationId!, occurredAt: new Date().toISOString() },
      { secret: 'not-the-cme-webhook-secret' },
    );

    await expect(forged).rejects.toMatchObject({ status: 401 });
    expect(await harness.db.prisma.idempotencyRecord.count({ where: { key: 'evt-forged' } })).toBe(0);
    expect(await harness.db.prisma.idempotencyRecord.count()).toBeGreaterThanOrEqual(before);
    await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'SENT');
  });
});

describe('partner faults', () => {
  it('500s and timeouts are retried until recovery', async () => {
    harness.moderation.server.setFaults({ failNext: 2 });
    harness.carfax.server.setFaults({ failNext: 2 });
    harness.cme.server.setFaults({ hangNext: 2 });
    harness.lots.server.setFaults({ failNext: 2 });
    const created = await insertTestApplication(harness.db);

    const sent = await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'SENT', { timeoutMs: 60_000 });

    expect(sent.status).toBe('INSPECTED');
    expect(harness.moderation.server.calls.filter((call) => call.status === 500).length).toBeGreaterThanOrEqual(2);
    expect(harness.carfax.server.calls.filter((call) => call.status === 500).length).toBeGreaterThanOrEqual(2);
    expect(harness.lots.server.calls.filter((call) => call.status === 500).length).toBeGreaterThanOrEqual(2);
    expect(harness.cme.server.faults.hangNext).toBe(0);
    expect(harness.lots.lots.filter((lot) => lot.lot.applicationId === created.id.toString())).toHaveLength(1);
  }, 90_000);
});

describe('withdrawal', () => {
  it('during enrichment stops further work', async () => {
    harness.carfax.server.setFaults({ latencyMs: 1500 });
    try {
      const created = await insertTestApplication(harness.db);
      await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'MODERATED');
      await waitUntil(async () => (await lockedJobs()).includes('request_enrichment'));

      await withdrawApplication(
        { prisma: harness.db.prisma, integrations: harness.ctx.integrations, logger: harness.ctx.logger },
        { applicationId: created.id, sellerId: created.userId },
      );
      await waitUntil(async () => (await pendingJobs(harness.db)).every((job) => job.queue !== `application:${created.id}`));
      await new Promise((resolve) => setTimeout(resolve, 500));

      const final = await harness.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: created.id } });
      expect(final.status).toBe('WITHDRAWN');
      expect(final.applicationStatus).toBe('WITHDRAWN');
      expect(final.proAutoRequestId).toBeNull();
      expect(final.cmeEvaluationId).toBeNull();
      expect([...harness.cme.evaluations.values()].filter((evaluation) => evaluation.draft.applicationId === created.id.toString())).toHaveLength(0);
      expect(harness.lots.lots.filter((lot) => lot.lot.applicationId === created.id.toString())).toHaveLength(0);
      expect((await historyActions(created.id)).at(-1)).toBe('WITHDRAWN');
    } finally {
      harness.carfax.server.resetFaults();
    }
  });

  it('while waiting for data stores nothing more', async () => {
    const created = await insertTestApplication(harness.db);
    await harness.waitForApplication(created.id, (application) => application.applicationStatus === 'WAITING_DATA' && application.cmeInspection !== null, {
      pollCarfax: false,
    });

    await withdrawApplication(
      { prisma: harness.db.prisma, integrations: harness.ctx.integrations, logger: harness.ctx.logger },
      { applicationId: created.id, sellerId: created.userId },
    );
    // A poll queued before the withdrawal still runs, and must find nothing to do.
    await harness.db.prisma.$transaction((tx) => enqueueStage(tx, TASK.pollCarfax, { applicationId: created.id.toString() }));
    await harness.waitForIdle();

    const final = await harness.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: created.id } });
    expect(final.status).toBe('WITHDRAWN');
    expect(final.proAutoReport).toBeNull();
    expect(await storedKeys(created.id)).not.toContain(`${created.id}/pro-auto`);
    expect(harness.lots.lots.filter((lot) => lot.lot.applicationId === created.id.toString())).toHaveLength(0);
  });
});

async function lockedJobs(): Promise<string[]> {
  const { rows } = await harness.db.pool.query<{ task_identifier: string }>('SELECT task_identifier FROM graphile_worker.jobs WHERE locked_by IS NOT NULL');
  return rows.map((row) => row.task_identifier);
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`The condition did not hold within ${timeoutMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
