import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/db/migrate.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { setupKafka, teardownKafka } from './kafka-broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database that each test file copies with CREATE DATABASE ... TEMPLATE. */
    templateDatabaseUrl: string;
  }
}

let embedded: EmbeddedDatabase | undefined;
let embeddedDir: string | undefined;
let templateUrl: URL | undefined;

/**
 * Start PostgreSQL when DATABASE_URL is not set, and build one migrated template database for
 * the run. Its name carries the process id, so runs on one server do not share it.
 */
export async function setup(project: TestProject): Promise<void> {
  await setupKafka(project);
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embeddedDir = await fs.mkdtemp(path.join(os.tmpdir(), 'auction-applications-pg-'));
    await fs.chmod(embeddedDir, 0o777);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(embeddedDir, 'data'), port: await freePort(), database: 'postgres' });
    serverUrl = embedded.url;
    process.stdout.write(`DATABASE_URL is not set, so the tests use an embedded PostgreSQL at ${serverUrl}.\n`);
  }

  templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/aa_template_${process.pid}`;
  const templateName = templateUrl.pathname.slice(1);
  await withAdminClient(serverUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${templateName}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${templateName}"`);
  });
  await migrateDatabase(templateUrl.toString());
  project.provide('templateDatabaseUrl', templateUrl.toString());
}

export async function teardown(): Promise<void> {
  await teardownKafka();
  if (templateUrl) {
    const name = templateUrl.pathname.slice(1);
    await withAdminClient(templateUrl.toString(), (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
  await embedded?.stop();
  if (embeddedDir) {
    await fs.rm(embeddedDir, { recursive: true, force: true });
  }
}

async function withAdminClient<T>(anyUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(anyUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
