import pg from 'pg';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedMigrations, type ExpectedMigrations } from '../src/db/readiness.js';
import { useReadiness } from '../src/http/use-readiness.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const logger = createLogger({ level: 'silent' });
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

function createServer(options: { pool?: pg.Pool; expected?: ExpectedMigrations; isShuttingDown?: () => boolean } = {}) {
  return createYoga({
    schema: createSchema({ typeDefs: 'type Query { hello: String }' }),
    plugins: [useReadiness({ pool: options.pool ?? db.pool, logger, expected: options.expected, isShuttingDown: options.isShuttingDown })],
    logging: false,
  });
}

describe('useReadiness', () => {
  it('answers ready on a migrated database', async () => {
    const response = await createServer().fetch('http://127.0.0.1/ready');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  it('names a missing Prisma migration', async () => {
    const expected = expectedMigrations();
    const server = createServer({ expected: { ...expected, prisma: [...expected.prisma, '29991231000000_future'] } });

    const response = await server.fetch('http://127.0.0.1/ready');

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not_ready', reason: 'Prisma migrations are not applied: 29991231000000_future' });
  });

  it('fails for an old graphile-worker schema', async () => {
    const expected = expectedMigrations();
    const server = createServer({ expected: { ...expected, graphileWorker: expected.graphileWorker + 1 } });

    const response = await server.fetch('http://127.0.0.1/ready');

    expect(response.status).toBe(503);
    expect((await response.json()).reason).toMatch(/graphile-worker schema is at revision \d+, but this build needs/);
  });

  it('fails for an unreachable database', async () => {
    const pool = new pg.Pool({ connectionString: db.url.replace(/\/[^/]+$/, '/aa_missing_database') });
    const response = await createServer({ pool }).fetch('http://127.0.0.1/ready');
    await pool.end();

    expect(response.status).toBe(503);
    expect((await response.json()).reason).toMatch(/^the database is unreachable: .*aa_missing_database/);
  });

  it('fails while shutting down', async () => {
    const response = await createServer({ isShuttingDown: () => true }).fetch('http://127.0.0.1/ready');

    expect(response.status).toBe(503);
    expect((await response.json()).reason).toBe('the process is shutting down');
  });

  it('keeps liveness separate', async () => {
    const response = await createServer({ isShuttingDown: () => true }).fetch('http://127.0.0.1/health');

    expect(response.status).toBe(200);
  });
});
