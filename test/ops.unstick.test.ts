import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changeApplication } from '../src/domain/changes.js';
import { applicationQueue } from '../src/jobs/add-job.js';
import { createLogger } from '../src/logger.js';
import { listStuckApplications, unstickApplication } from '../src/ops/unstick.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { clearJobs, insertTestApplication, nextVin, pendingJobs } from './support/pipeline.js';

const execFileAsync = promisify(execFile);
const logger = createLogger({ level: 'silent' });
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

beforeEach(async () => {
  await clearJobs(db);
});

async function jobsOf(applicationId: bigint) {
  const { rows } = await db.pool.query<{ task_identifier: string; attempts: number; max_attempts: number; due: boolean }>(
    'SELECT task_identifier, attempts, max_attempts, run_at <= now() AS due FROM graphile_worker.jobs WHERE queue_name = $1 ORDER BY id',
    [applicationQueue(applicationId)],
  );
  return rows;
}

async function makeStale(applicationId: bigint) {
  await db.pool.query(`UPDATE auction_applications SET updated_at = now() - interval '2 hours' WHERE application_id = $1`, [applicationId.toString()]);
}

describe('unstickApplication', () => {
  it('queues the stage job when none is live', async () => {
    const application = await insertTestApplication(db, { vin: nextVin(), enqueue: false });

    const report = await unstickApplication(db, logger, application.id);

    expect(report.stage).toBe('moderation');
    expect(report.queuedStageJob).toBe(true);
    expect((await jobsOf(application.id)).map((job) => job.task_identifier)).toEqual(['send_to_moderation']);
  });

  it('revives a failed job instead of adding one', async () => {
    const application = await insertTestApplication(db, { vin: nextVin() });
    await db.pool.query(
      `UPDATE graphile_worker._private_jobs SET attempts = max_attempts, last_error = 'moderation answered HTTP 400', run_at = now() + interval '1 day'`,
    );

    const report = await unstickApplication(db, logger, application.id);

    expect(report.queuedStageJob).toBe(false);
    expect(report.rescheduledJobs).toBe(1);
    expect(await jobsOf(application.id)).toEqual([{ task_identifier: 'send_to_moderation', attempts: 0, max_attempts: 25, due: true }]);
  });

  it('leaves a withdrawn application alone', async () => {
    const application = await insertTestApplication(db, { vin: nextVin(), enqueue: false });
    await db.prisma.$transaction((tx) =>
      changeApplication(tx, { applicationId: application.id, actor: { type: 'SELLER', id: application.userId }, action: 'WITHDRAWN', set: { status: 'WITHDRAWN', applicationStatus: 'WITHDRAWN' } }),
    );

    const report = await unstickApplication(db, logger, application.id);

    expect(report.stage).toBeUndefined();
    expect(report.queuedStageJob).toBe(false);
    expect(report.note).toBe(`Application ${application.id} is WITHDRAWN/WITHDRAWN; the pipeline has nothing more to do for it.`);
    expect(await pendingJobs(db)).toEqual([]);
  });

  it('rejects an unknown id', async () => {
    await expect(unstickApplication(db, logger, 987_654_321n)).rejects.toThrow('Application 987654321 was not found');
  });
});

describe('listStuckApplications', () => {
  it('shows stage and failed jobs', async () => {
    const application = await insertTestApplication(db, { vin: nextVin() });
    await makeStale(application.id);
    await db.pool.query(`UPDATE graphile_worker._private_jobs SET attempts = max_attempts, last_error = 'moderation answered HTTP 400'`);

    const rows = await listStuckApplications(db, { stuckAfterMinutes: 30 });
    const row = rows.find((candidate) => candidate.applicationId === application.id.toString());

    expect(row).toMatchObject({ applicationStatus: 'NEW', stage: 'moderation', liveJobs: 0, failedJobs: 1, lastError: 'moderation answered HTTP 400' });
  });
});

describe('ops command', () => {
  const cli = (args: string[]) =>
    execFileAsync(process.execPath, ['--import', 'tsx', 'src/ops/cli.ts', ...args], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { PATH: process.env.PATH, DATABASE_URL: db.url, NODE_ENV: 'test' },
    });

  it('unsticks by id and prints the report', async () => {
    const application = await insertTestApplication(db, { vin: nextVin(), enqueue: false });

    const { stdout } = await cli(['unstick', application.id.toString()]);

    expect(JSON.parse(stdout)).toMatchObject({ applicationId: application.id.toString(), stage: 'moderation', queuedStageJob: true });
  });

  it('lists stuck applications as a table', async () => {
    const application = await insertTestApplication(db, { vin: nextVin() });
    await makeStale(application.id);

    const { stdout } = await cli(['stuck']);

    expect(stdout.split('\n')[0]).toMatch(/^application\s+state\s+stage\s+unchanged since\s+live jobs\s+failed jobs\s+last error$/);
    expect(stdout).toMatch(new RegExp(`^${application.id}\\s+NEW\\s+moderation\\s`, 'm'));
  });

  it('explains a malformed id', async () => {
    const failure = await cli(['unstick', 'forty-two']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('"forty-two" is not an application id: expected its number, such as 42.');
  });
});
