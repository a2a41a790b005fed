import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The migrations this build expects, read once from the files shipped with it. */
export interface ExpectedMigrations {
  /** Folder names under prisma/migrations, such as `20261204000000_init`. */
  prisma: string[];
  /** The highest graphile-worker schema revision of the installed package. */
  graphileWorker: number;
}

/** List the migrations that this build ships: Prisma's folders and graphile-worker's SQL files. */
export function expectedMigrations(): ExpectedMigrations {
  const prismaDir = path.join(projectRoot, 'prisma', 'migrations');
  const prisma = fs
    .readdirSync(prismaDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(prismaDir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();

  const workerDir = path.join(path.dirname(createRequire(import.meta.url).resolve('graphile-worker')), '..', 'sql');
  const revisions = fs
    .readdirSync(workerDir)
    .map((file) => /^(\d+)\.sql$/.exec(file)?.[1])
    .filter((revision): revision is string => revision !== undefined)
    .map(Number);
  return { prisma, graphileWorker: Math.max(0, ...revisions) };
}

/**
 * Check that the database responds and carries every migration this build expects. Returns the
 * reason it is not ready, or undefined when it is. A newer database (migrated by a newer
 * release during a rolling deploy) counts as ready, because migrations only add.
 */
export async function databaseNotReadyReason(pool: pg.Pool, expected: ExpectedMigrations, options: { timeoutMs?: number } = {}): Promise<string | undefined> {
  const timeoutMs = options.timeoutMs ?? 2000;
  let client: pg.PoolClient;
  try {
    client = await withTimeout(pool.connect(), timeoutMs, 'connecting');
  } catch (error) {
    return `the database is unreachable: ${(error as Error).message}`;
  }

  try {
    const applied = await withTimeout(
      client.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      ),
      timeoutMs,
      'reading _prisma_migrations',
    );
    const appliedNames = new Set(applied.rows.map((row) => row.migration_name));
    const missing = expected.prisma.filter((name) => !appliedNames.has(name));
    if (missing.length > 0) {
      return `Prisma migrations are not applied: ${missing.join(', ')}`;
    }

    const worker = await withTimeout(client.query<{ revision: number | null }>('SELECT max(id) AS revision FROM graphile_worker.migrations'), timeoutMs, 'reading graphile_worker.migrations');
    const revision = worker.rows[0]?.revision ?? 0;
    if (revision < expected.graphileWorker) {
      return `the graphile-worker schema is at revision ${revision}, but this build needs ${expected.graphileWorker}`;
    }
    return undefined;
  } catch (error) {
    return `checking the migrations failed: ${(error as Error).message}`;
  } finally {
    client.release();
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, step: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${step} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
