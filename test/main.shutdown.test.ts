import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOTS_TOKEN } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { subscribeOverSse } from './support/live-updates.js';
import { clearJobs, insertTestApplication, nextVin } from './support/pipeline.js';
import { startServiceProcess, type ServiceProcess } from './support/processes.js';
import { startTestSandboxes, type TestSandboxes } from './support/sandboxes.js';

// Graceful shutdown of real service processes: SIGTERM lets running jobs and requests finish
// and leaves no job locked; a second signal exits at once.

const APPLICATIONS = 12;

let db: TestDatabase;
let sandboxes: TestSandboxes;
let api: ServiceProcess;
let env: Record<string, string>;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sandboxes = await startTestSandboxes({
    webhookBaseUrl: () => api.url,
    carfax: { synchronous: true },
    cme: { delaysMs: { 'evaluation.done': 100, 'status.changed': 150, 'inspection.done': 200 } },
    moderation: { verdictDelayMs: 100 },
  });
  env = {
    DATABASE_URL: db.url,
    ...sandboxes.env,
    SERVICE_TOKENS: `lots:${LOTS_TOKEN}`,
    WORKER_CONCURRENCY: '4',
    SHUTDOWN_TIMEOUT_MS: '20000',
    PARTNER_TIMEOUT_MS: '5000',
  };
  // The API process receives the CME webhooks and moderation verdicts for every worker below.
  api = await start('api');
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  await sandboxes?.stop();
  await db?.drop();
}, 60_000);

beforeEach(async () => {
  await clearJobs(db);
  for (const sandbox of [sandboxes.moderation, sandboxes.carfax, sandboxes.cme, sandboxes.lots]) {
    sandbox.server.resetFaults();
  }
});

async function start(role: ServiceProcess['role']): Promise<ServiceProcess> {
  const started = await startServiceProcess(role, env);
  processes.push(started);
  return started;
}

async function lockedJobs(): Promise<number> {
  const { rows } = await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM graphile_worker._private_jobs WHERE locked_at IS NOT NULL');
  return rows[0]!.count;
}

async function lockedJobsOlderThanGrace(): Promise<number> {
  const { rows } = await db.pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM graphile_worker._private_jobs WHERE locked_at < now() - interval '31 seconds'`,
  );
  return rows[0]!.count;
}

async function createApplications(count: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let index = 0; index < count; index += 1) {
    ids.push((await insertTestApplication(db, { vin: nextVin() })).id);
  }
  return ids;
}

async function waitUntilAllSent(ids: bigint[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.prisma.auctionApplication.findMany({ where: { id: { in: ids } }, select: { id: true, applicationStatus: true } });
    const waiting = rows.filter((row) => row.applicationStatus !== 'SENT');
    if (waiting.length === 0) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${waiting.length} applications did not reach SENT: ${JSON.stringify(waiting.map((row) => [row.id.toString(), row.applicationStatus]))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function lotsFor(ids: bigint[]): Map<string, number> {
  const counts = new Map(ids.map((id) => [id.toString(), 0]));
  for (const recorded of sandboxes.lots.lots) {
    const id = String(recorded.lot.applicationId);
    if (counts.has(id)) {
      counts.set(id, counts.get(id)! + 1);
    }
  }
  return counts;
}

describe('SIGTERM', () => {
  it('drains a busy worker and a restart finishes', async () => {
    // Slow partners keep jobs running when the signal comes.
    for (const sandbox of [sandboxes.moderation, sandboxes.carfax, sandboxes.cme, sandboxes.lots]) {
      sandbox.server.setFaults({ latencyMs: 400 });
    }
    const worker = await start('worker');
    const ids = await createApplications(APPLICATIONS);
    await expect.poll(lockedJobs, { timeout: 20_000, interval: 20 }).toBeGreaterThan(0);

    const signalledAt = Date.now();
    worker.signal('SIGTERM');
    const exitCode = await worker.exited;

    expect(exitCode).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    expect(worker.logs.some((line) => line.msg === 'The worker stopped after its running jobs finished.')).toBe(true);
    expect(worker.logs.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([]);
    expect(await lockedJobs()).toBe(0);

    const restarted = await start('worker');
    await waitUntilAllSent(ids);

    expect([...lotsFor(ids).values()]).toEqual(ids.map(() => 1));
    expect(await lockedJobs()).toBe(0);
    expect(await restarted.stop()).toBe(0);
  });

  it('exits at once on a second signal', async () => {
    // A moderation call that hangs keeps a job running for longer than the test waits.
    sandboxes.moderation.server.setFaults({ latencyMs: 10_000 });
    const worker = await start('worker');
    const ids = await createApplications(3);
    await expect.poll(lockedJobs, { timeout: 20_000, interval: 20 }).toBeGreaterThan(0);

    worker.signal('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signalledAt = Date.now();
    worker.signal('SIGTERM');
    const exitCode = await worker.exited;

    expect(exitCode).toBe(1);
    expect(Date.now() - signalledAt).toBeLessThan(2000);
    expect(worker.logs.some((line) => line.msg.includes('again, so the service exits without finishing its shutdown'))).toBe(true);

    // The next worker releases the jobs that the killed one held, because the dead process no
    // longer holds its liveness lock, once their locks are older than the 30-second grace.
    sandboxes.moderation.server.resetFaults();
    await expect.poll(lockedJobsOlderThanGrace, { timeout: 40_000, interval: 500 }).toBe(await lockedJobs());
    await start('worker');
    await waitUntilAllSent(ids);
    expect(await lockedJobs()).toBe(0);
  }, 120_000);

  it('ends open subscriptions and exits', async () => {
    const [id] = await createApplications(1);
    const ownApi = await start('api');
    const application = await db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: id! } });
    const stream = await subscribeOverSse(fetch, `${ownApi.url}/graphql`, id!.toString(), { 'x-user-id': application.userId });
    expect(await stream.next()).toMatchObject({ __typename: 'ApplicationUpdate' });

    const signalledAt = Date.now();
    ownApi.signal('SIGTERM');

    expect(await stream.next(10_000)).toBe('done');
    expect(await ownApi.exited).toBe(0);
    // Below the keep-alive timeout of 5 s that an idle connection would hold the server for.
    expect(Date.now() - signalledAt).toBeLessThan(4500);
  });
});
