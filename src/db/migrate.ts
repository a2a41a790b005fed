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
    const details = withoutPrismaBanner(output.stderr ?? '') || withoutPrismaBanner(output.stdout ?? '') || output.message.trim();
    throw new Error(`Applying Prisma migrations failed: ${details}`);
  }
  await runMigrations({ connectionString });
}

/**
 * Lines that the Prisma CLI (6.19) prints on every run, whatever the outcome. The last four are
 * its WARNING that the schema's datasource still has a `url` while migrations run through a
 * driver adapter.
 */
const BANNER_LINES = [
  /^Loaded Prisma config from /,
  /^Prisma config detected, skipping environment variable loading/,
  /^Prisma schema loaded from /,
  /^Datasource "/,
  /^WARNING: Your schema specifies the following datasource properties but you are using a Driver Adapter/,
  /^- url$/,
  /^The values from your schema will NOT be used!$/,
  /^We recommend you to remove those properties from your schema/,
];

/** Remove the Prisma CLI's banner from its output, so an error message starts with the error. */
export function withoutPrismaBanner(output: string): string {
  return output
    .split('\n')
    .filter((line) => !BANNER_LINES.some((pattern) => pattern.test(line)))
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
