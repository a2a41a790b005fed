import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, withoutPrismaBanner } from '../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/** Standard error and output of `prisma migrate deploy` (6.19) on a database that has tables but no migration history. */
const FAILED_DEPLOY_STDERR = `Loaded Prisma config from prisma.config.ts.

Prisma config detected, skipping environment variable loading.
Error: P3005

The database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline
`;

const DEPLOY_STDOUT = `Prisma schema loaded from prisma/schema.prisma
Datasource "db": PostgreSQL database "app", schema "public" using driver adapter "@prisma/adapter-pg"

WARNING: Your schema specifies the following datasource properties but you are using a Driver Adapter via prisma.config.ts:
- url

The values from your schema will NOT be used!

We recommend you to remove those properties from your schema to avoid confusion if you are only using driver adapters.

6 migrations found in prisma/migrations
`;

describe('withoutPrismaBanner', () => {
  it('keeps only the error', () => {
    expect(withoutPrismaBanner(FAILED_DEPLOY_STDERR)).toBe(
      'Error: P3005\n\nThe database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline',
    );
  });

  it('drops the driver adapter warning', () => {
    expect(withoutPrismaBanner(DEPLOY_STDOUT)).toBe('6 migrations found in prisma/migrations');
  });
});

describe('migrateDatabase', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Tables without Prisma's history table make `migrate deploy` fail with P3005.
    await db.pool.query('DROP TABLE _prisma_migrations');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('reports a failure without the banner', async () => {
    const message = await migrateDatabase(db.url).then(
      () => 'the migration succeeded',
      (error: Error) => error.message,
    );

    expect(message).toMatch(/^Applying Prisma migrations failed: Error: P3005\n/);
    expect(message).not.toContain('Loaded Prisma config');
    expect(message).not.toContain('Prisma config detected');
  }, 120_000);
});
