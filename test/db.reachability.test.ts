import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/prisma.js';
import { checkDatabaseReachable, databaseAddress, DatabaseUnreachableError, isConnectionError } from '../src/db/reachability.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { closedPort } from './support/ports.js';

let db: TestDatabase;
let unreachableUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  unreachableUrl = `postgres://postgres:secret@127.0.0.1:${await closedPort()}/app`;
});

afterAll(async () => {
  await db?.drop();
});

describe('databaseAddress', () => {
  it('leaves out the password', () => {
    expect(databaseAddress('postgres://user:secret@db.internal:6432/app')).toBe('db.internal:6432');
  });

  it('defaults to port 5432', () => {
    expect(databaseAddress('postgres://db.internal/app')).toBe('db.internal:5432');
  });
});

describe('isConnectionError', () => {
  it('recognises a Prisma query without a server', async () => {
    const unreachable = openDatabase(unreachableUrl);
    const error = await unreachable.prisma.$queryRaw`SELECT 1`.catch((caught: unknown) => caught);
    await unreachable.close();

    expect(isConnectionError(error)).toBe(true);
  });

  it('recognises a pg query without a server', async () => {
    const unreachable = openDatabase(unreachableUrl);
    const error = await unreachable.pool.query('SELECT 1').catch((caught: unknown) => caught);
    await unreachable.close();

    expect(isConnectionError(error)).toBe(true);
  });

  it('ignores a failing query', async () => {
    const error = await db.prisma.$queryRaw`SELECT * FROM no_such_table`.catch((caught: unknown) => caught);

    expect(isConnectionError(error)).toBe(false);
  });
});

describe('checkDatabaseReachable', () => {
  it('passes on a running database', async () => {
    await expect(checkDatabaseReachable(db.url, { advice: 'Start it.' })).resolves.toBeUndefined();
  });

  it('names the address, setting and advice', async () => {
    const error = await checkDatabaseReachable(unreachableUrl, { setting: 'DATABASE_URL', advice: 'Start it.' }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).message).toMatch(/^Cannot reach PostgreSQL at 127\.0\.0\.1:\d+ \(DATABASE_URL\): connect ECONNREFUSED 127\.0\.0\.1:\d+\. Start it\.$/);
    expect((error as Error).message).not.toContain('secret');
  });
});
