import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from './support/pipeline-harness.js';
import { insertTestApplication } from './support/pipeline.js';

// A worker killed with SIGKILL in the middle of a stage leaves its job locked. A new worker
// finds the dead worker's lock free, releases its jobs and finishes every application once.

const APPLICATIONS = 3;
let harness: PipelineHarness;
let child: ChildProcess | undefined;

beforeAll(async () => {
  harness = await startPipelineHarness({ env: { CARFAX_FIRST_POLL_SECONDS: '1' } });
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
  }
  await harness?.close();
});

function startWorkerProcess(): Promise<ChildProcess> {
  const processHandle = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'support', 'worker-process.ts')], {
    env: { ...process.env, ...harness.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    processHandle.once('exit', (code) => reject(new Error(`The worker process exited with code ${code} before it was ready.`)));
    processHandle.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        resolve(processHandle);
      }
    });
  });
}

async function lockedJobs(): Promise<{ task: string; lockedBy: string }[]> {
  const { rows } = await harness.db.pool.query<{ task_identifier: string; locked_by: string }>(
    'SELECT task_identifier, locked_by FROM graphile_worker.jobs WHERE locked_by IS NOT NULL',
  );
  return rows.map((row) => ({ task: row.task_identifier, lockedBy: row.locked_by }));
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`The condition did not hold within ${timeoutMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('worker crash', () => {
  it('restarted worker finishes every application once', async () => {
    // CARFAX responds slowly, so request_enrichment is still waiting for it when the worker dies.
    harness.carfax.server.setFaults({ latencyMs: 3000 });
    const created = [];
    for (let index = 0; index < APPLICATIONS; index += 1) {
      created.push(await insertTestApplication(harness.db));
    }
    child = await startWorkerProcess();
    await waitUntil(async () => (await lockedJobs()).some((job) => job.task === 'request_enrichment'));

    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    const orphaned = await lockedJobs();
    expect(orphaned.length).toBeGreaterThan(0);
    harness.carfax.server.resetFaults();

    await harness.startWorker({ unlockGraceSeconds: 0 });

    for (const application of created) {
      const sent = await harness.waitForApplication(application.id, (current) => current.applicationStatus === 'SENT');
      expect(sent.status).toBe('INSPECTED');
      const history = await harness.db.prisma.applicationHistory.findMany({ where: { applicationId: application.id } });
      const actions = history.map((entry) => entry.action);
      for (const action of ['SENT_TO_MODERATION', 'MODERATION_PASSED', 'CARFAX_REPORT_ORDERED', 'CME_DRAFT_CREATED', 'ENRICHMENT_REQUESTED', 'READY', 'LOT_HANDED_OFF']) {
        expect(actions.filter((candidate) => candidate === action), action).toHaveLength(1);
      }
      expect(harness.lots.lots.filter((lot) => lot.lot.applicationId === application.id.toString())).toHaveLength(1);
      expect([...harness.cme.evaluations.values()].filter((evaluation) => evaluation.draft.applicationId === application.id.toString())).toHaveLength(1);
    }
    await harness.waitForIdle();
    expect(await lockedJobs()).toEqual([]);
  }, 120_000);
});
