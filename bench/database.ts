import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateDatabase } from '../src/db/migrate.js';

/** A database of one benchmark, copied from the run's migrated template. */
export interface BenchDatabase {
  url: string;
  name: string;
  /** Drop the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** The run's migrated template, from which every benchmark database is copied. */
export interface BenchTemplate {
  url: string;
  /** Drop the template, unless the caller passed one in. */
  drop(): Promise<void>;
}

/**
 * Create and migrate the template database once per run. Copying it with CREATE DATABASE ...
 * TEMPLATE takes a fraction of a second, while applying the migrations takes seconds.
 */
export async function createTemplate(serverUrl: string): Promise<BenchTemplate> {
  const name = `aa_bench_template_${process.pid}`;
  const admin = adminUrl(serverUrl);
  await runAdmin(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await runAdmin(admin, `CREATE DATABASE "${name}"`);
  const url = databaseUrl(serverUrl, name);
  await migrateDatabase(url);
  return { url, drop: () => runAdmin(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** Use a template that the caller migrated and drops, such as the test run's. */
export function existingTemplate(url: string): BenchTemplate {
  return { url, drop: async () => {} };
}

/** Copy the template into a fresh database for one benchmark. */
export async function createBenchDatabase(template: BenchTemplate, label: string): Promise<BenchDatabase> {
  const templateName = new URL(template.url).pathname.slice(1);
  const name = `aa_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = adminUrl(template.url);
  await runAdmin(admin, `CREATE DATABASE "${name}" TEMPLATE "${templateName}"`);
  return {
    url: databaseUrl(template.url, name),
    name,
    drop: () => runAdmin(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * Drop the databases that earlier runs left behind when they were killed: those named by this
 * module whose process id no longer runs on this machine.
 */
export async function dropStaleDatabases(serverUrl: string): Promise<string[]> {
  const rows = await runSql<{ datname: string }>(adminUrl(serverUrl), "SELECT datname FROM pg_database WHERE datname LIKE 'aa\\_bench\\_%'");
  const stale = rows.map((row) => row.datname).filter((name) => {
    const pid = Number(/_(\d+)(?:_[0-9a-f]{6})?$/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid > 0 && !isRunning(pid);
  });
  for (const name of stale) {
    await runSql(adminUrl(serverUrl), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  return stale;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run one statement on a short-lived connection. */
export async function runSql<T extends pg.QueryResultRow = pg.QueryResultRow>(connectionString: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const result = await client.query<T>(sql, values);
    return result.rows;
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function adminUrl(anyUrl: string): string {
  return databaseUrl(anyUrl, 'postgres');
}

async function runAdmin(connectionString: string, sql: string): Promise<void> {
  await runSql(connectionString, sql);
}
