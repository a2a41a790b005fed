import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runMigrations } from 'graphile-worker';

const execFileAsync = promisify(execFile);
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Apply the Prisma migrations and graphile-worker's own schema to the database. Both are
 * idempotent, so every process may call this at start; PostgreSQL advisory locks inside both
 * tools keep concurrent starts from racing.
 */
export async function migrateDatabase(connectionString: string): Promise<void> {
  const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  try {
    await execFileAsync(
      process.execPath,
      ['--import', path.join(projectRoot, 'prisma', 'cli-preload.mjs'), prismaCli, 'migrate', 'deploy'],
      { cwd: projectRoot, env: { ...process.env, DATABASE_URL: connectionString }, timeout: 120_000 },
    );
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Applying Prisma migrations failed: ${(output.stderr || output.stdout || output.message).trim()}`);
  }
  await runMigrations({ connectionString });
}
