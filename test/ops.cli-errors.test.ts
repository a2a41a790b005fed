import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { closedPort } from './support/ports.js';
import { insertTestApplication, nextVin } from './support/pipeline.js';

// The ops commands print one line for an operator's mistake or a missing database, and no stack.

const execFileAsync = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function ops(args: string[], env: Record<string, string>): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/ops/cli.ts', ...args], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('ops command errors', () => {
  let db: TestDatabase;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    port = await closedPort();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('names an unreachable DATABASE_URL', async () => {
    const outcome = await ops(['stuck'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/app` });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(`Cannot reach PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${port}. Start PostgreSQL there or correct DATABASE_URL.\n`);
  });

  it('points to npm start without DATABASE_URL', async () => {
    const outcome = await ops(['unstick', '42'], { EMBEDDED_POSTGRES_PORT: String(port) });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      `Cannot reach PostgreSQL at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}. Start the service with \`npm start\`, which runs the embedded PostgreSQL, or set DATABASE_URL.\n`,
    );
  });

  it('reports an unknown id without a stack', async () => {
    const outcome = await ops(['unstick', '987654321'], { DATABASE_URL: db.url });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe('Application 987654321 was not found; check the number, or whether it was deleted.\n');
  });

  it('unsticks the ids after an unknown one', async () => {
    const application = await insertTestApplication(db, { vin: nextVin(), enqueue: false });

    const outcome = await ops(['unstick', '987654321', application.id.toString()], { DATABASE_URL: db.url });

    expect(outcome.code).toBe(1);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ applicationId: application.id.toString(), queuedStageJob: true });
  });

  it.each([
    ['1', 'No application has been stuck for more than 1 minute.\n'],
    ['2', 'No application has been stuck for more than 2 minutes.\n'],
  ])('pluralises --minutes %s', async (minutes, message) => {
    const outcome = await ops(['stuck', '--minutes', minutes], { DATABASE_URL: db.url });

    expect(outcome.stdout).toBe(message);
  });
});
