import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerWorkerLiveness, releaseWorkerLiveness } from '../src/pipeline/worker-liveness.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { captureLogs } from './support/logs.js';

let db: TestDatabase;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

afterAll(async () => {
  await db?.drop();
});

/** Create a pool for one test, because the liveness registration is kept per pool. */
function newPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pools.push(pool);
  return pool;
}

/** Return the backend pid of the session that holds `workerPoolId`'s liveness lock. */
async function livenessBackend(workerPoolId: string): Promise<number> {
  const { rows } = await db.pool.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = x'6a6f6273'::int::oid AND l.objid = hashtext($1)::oid`,
    [workerPoolId],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.pid;
}

async function sessionExists(pid: number): Promise<boolean> {
  const { rows } = await db.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length > 0;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`The condition was not met within ${timeoutMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('worker liveness', () => {
  it('closes its session before release returns', async () => {
    const pool = newPool();
    const { logger } = captureLogs();
    await registerWorkerLiveness(pool, 'pool-release-test', logger);
    const pid = await livenessBackend('pool-release-test');
    let closed = false;
    pool.on('remove', () => {
      closed = true;
    });

    await releaseWorkerLiveness(pool);

    expect(closed).toBe(true);
    expect(await sessionExists(pid)).toBe(false);
  });

  it('logs a lost connection as an error', async () => {
    const pool = newPool();
    const { logger, lines } = captureLogs();
    await registerWorkerLiveness(pool, 'pool-lost-test', logger);
    const pid = await livenessBackend('pool-lost-test');

    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(() => lines.some((line) => line.msg.startsWith('The worker liveness connection to PostgreSQL failed')));

    const failure = lines.find((line) => line.msg.startsWith('The worker liveness connection to PostgreSQL failed'));
    expect(failure?.level).toBe(50);
    await releaseWorkerLiveness(pool);
  });

  it('logs a loss during shutdown as info', async () => {
    const pool = newPool();
    const { logger, lines } = captureLogs();
    await registerWorkerLiveness(pool, 'pool-shutdown-test', logger, { isShuttingDown: () => true });
    const pid = await livenessBackend('pool-shutdown-test');

    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(() => lines.some((line) => line.msg.startsWith('The worker liveness connection to PostgreSQL closed during shutdown')));

    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.find((line) => line.msg.startsWith('The worker liveness connection'))?.level).toBe(30);
    await releaseWorkerLiveness(pool);
  });
});
