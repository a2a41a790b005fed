import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeWorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { createRequests } from './api.js';
import { createBenchDatabase, runSql, type BenchDatabase, type BenchTemplate } from './database.js';
import { runLoad } from './load.js';
import { startProcess } from './processes.js';
import { isCreated } from './queries.js';
import type { MemoryFigure, ScalePoint } from './report.js';
import { startService, type RunningService, type ServiceSettings } from './service.js';
import { quantile, summarize } from './stats.js';
import { timeBareWorker } from './worker-ceiling.js';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));

export interface PipelineBenchOptions {
  /** Applications created at once and timed in each repeat. */
  batch: number;
  /** Applications in the tables once a batch is done, each with its repeats; the smallest size should equal `batch`. */
  tableSizes: TableSize[];
  /** Applications carried to SENT before the measured repeats of each size. */
  warmupApplications: number;
  /** createApplication requests in flight at once while a batch is created. */
  connections: number;
  /** Sellers that the applications are spread over. */
  sellers: number;
  /** A repeat that has not carried its batch to SENT after this long stops and counts what it did. */
  timeoutSeconds: number;
  log(line: string): void;
}

export interface TableSize {
  rows: number;
  repeats: number;
}

export interface PipelineBenchResult {
  scale: ScalePoint[];
  memory: MemoryFigure[];
  skipped: string[];
}

/** One repeat of the pipeline: a batch of applications from their creation to SENT. */
interface PipelineRun {
  applications: number;
  /** Applications that reached SENT; fewer than `applications` only when the repeat timed out. */
  sent: number;
  seconds: number;
  latenciesMs: number[];
  jobs: number;
  /** Applications in the tables when the batch was done. */
  tableRows: number;
}

interface Target {
  name: string;
  graphqlUrl: string;
  series: number;
  serial: number;
}

/**
 * Benchmarks 3, 4 and 5. For each table size N, ascending, on one database, the tables are first
 * filled with copies of a finished application up to N minus one batch. A fresh service (API,
 * worker and instant sandboxes, each in its own process) warms up, and each repeat creates one
 * batch at once through the API, times it to SENT and deletes it again. Then the bare worker
 * runs as many chains of no-op jobs on the same database, once on one queue per application as
 * the pipeline does and once with no queue.
 */
export async function benchPipeline(template: BenchTemplate, settings: Omit<ServiceSettings, 'databaseUrl'>, options: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const result: PipelineBenchResult = { scale: [], memory: [], skipped: [] };
  const database = await createBenchDatabase(template, 'pipeline');
  const target: Target = { name: 'service', graphqlUrl: '', series: 3, serial: 0 };
  try {
    for (const size of [...options.tableSizes].sort((a, b) => a.rows - b.rows)) {
      result.scale.push(await benchTableSize(database, settings, size, target, options, result));
    }
    return result;
  } finally {
    await database.drop();
  }
}

async function benchTableSize(
  database: BenchDatabase,
  settings: Omit<ServiceSettings, 'databaseUrl'>,
  size: TableSize,
  target: Target,
  options: PipelineBenchOptions,
  result: PipelineBenchResult,
): Promise<ScalePoint> {
  const { rows: tableSize, repeats } = size;
  const label = `Pipeline at ${tableSize.toLocaleString('en-US')} applications`;
  const seeded = await fillTables(database.url, tableSize - options.batch - options.warmupApplications, options.sellers);
  if (seeded > 0) {
    options.log(`${label}: copied ${seeded.toLocaleString('en-US')} finished applications into the tables.`);
  }

  const runs: PipelineRun[] = [];
  const service = await startService({ ...settings, databaseUrl: database.url }, { worker: true });
  let memory: { api?: number; worker?: number };
  try {
    target.graphqlUrl = service.graphqlUrl;
    options.log(`${label}: warming up with ${options.warmupApplications}.`);
    const warmup = await carryToSent(database.url, service, target, options.warmupApplications, options);
    if (warmup.sent < warmup.applications) {
      throw new Error(`The warm-up carried only ${warmup.sent} of ${warmup.applications} applications to SENT within ${options.timeoutSeconds} s; see ${service.worker!.logFile}.`);
    }
    for (let repeat = 0; repeat < repeats; repeat += 1) {
      const run = await runBatch(database.url, service, target, options);
      runs.push(run);
      options.log(
        `  repeat ${repeat + 1}: ${run.sent} applications to SENT in ${run.seconds.toFixed(1)} s (${(run.sent / run.seconds).toFixed(1)}/s), ` +
          `${(run.jobs / Math.max(1, run.sent)).toFixed(2)} jobs each`,
      );
      if (run.sent < run.applications) {
        result.skipped.push(`${label}, repeat ${repeat + 1}: only ${run.sent} of ${run.applications} reached SENT within ${options.timeoutSeconds} s; its throughput counts those.`);
      }
    }
    memory = { api: service.api.peakRss(), worker: service.worker!.peakRss() };
  } finally {
    await service.stop();
  }

  // A graphile-worker process with another task list on the same database slows jobs on named
  // queues many times over (measured with graphile-worker 0.18.0), so the bare worker runs only
  // after the service's worker has stopped.
  const jobsPerApplication = summarize(runs.map((run) => run.jobs / Math.max(1, run.sent))).median;
  const bareQueued: number[] = [];
  const bareUnqueued: number[] = [];
  const bareWorker = await startProcess({
    name: 'bare-worker',
    script: path.join(benchDirectory, 'bare-worker.ts'),
    env: { ...process.env, DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(settings.poolSize), WORKER_CONCURRENCY: String(settings.workerConcurrency) },
    ready: { message: true },
  });
  try {
    const bareRun = (applications: number, runId: string, queuePerApplication: boolean) =>
      timeBareWorker(bareWorker, database.url, { applications, jobsPerApplication, runId, queuePerApplication });
    await bareRun(options.warmupApplications, `warmup-${tableSize}`, true);
    for (let repeat = 0; repeat < repeats; repeat += 1) {
      bareQueued.push(options.batch / (await bareRun(options.batch, `${tableSize}-${repeat}-queued`, true)));
      await collectJobQueues(database.url);
      bareUnqueued.push(options.batch / (await bareRun(options.batch, `${tableSize}-${repeat}`, false)));
      options.log(`  bare worker, repeat ${repeat + 1}: ${bareQueued.at(-1)!.toFixed(1)} applications/s with a queue per application, ${bareUnqueued.at(-1)!.toFixed(1)} without`);
    }
  } finally {
    await bareWorker.stop();
  }

  const sortedQuantile = (values: number[], q: number) => quantile([...values].sort((a, b) => a - b), q);
  const point: ScalePoint = {
    applications: summarize(runs.map((run) => run.tableRows)).median,
    batch: options.batch,
    repeats,
    jobsPerApplication,
    throughput: summarize(runs.map((run) => run.sent / run.seconds)),
    latencyP50Ms: summarize(runs.map((run) => sortedQuantile(run.latenciesMs, 0.5))),
    latencyP99Ms: summarize(runs.map((run) => sortedQuantile(run.latenciesMs, 0.99))),
    bareThroughput: summarize(bareQueued),
    bareUnqueuedThroughput: summarize(bareUnqueued),
    apiPeakRssBytes: memory.api,
    workerPeakRssBytes: memory.worker,
  };
  const during = `pipeline at ${tableSize.toLocaleString('en-US')} applications`;
  result.memory.push(
    { process: 'API (src/main.ts, PROCESS_ROLE=api)', during, peakRssBytes: point.apiPeakRssBytes },
    { process: 'Worker (src/main.ts, PROCESS_ROLE=worker)', during, peakRssBytes: point.workerPeakRssBytes },
  );
  return point;
}

/** Time one batch to SENT, then delete it, so that every repeat runs on tables of the same size. */
async function runBatch(databaseUrl: string, service: RunningService, target: Target, options: PipelineBenchOptions): Promise<PipelineRun> {
  const [before] = await runSql<{ last: string | null; at: Date }>(databaseUrl, 'SELECT max(application_id)::text AS last, clock_timestamp() AS at FROM auction_applications');
  const run = await carryToSent(databaseUrl, service, target, options.batch, options);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM outbox_events WHERE application_id > $1', [before!.last ?? '0']);
    await client.query('DELETE FROM auction_applications WHERE application_id > $1', [before!.last ?? '0']);
    await client.query('DELETE FROM idempotency_records WHERE created_at >= $1', [before!.at]);
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
  await collectJobQueues(databaseUrl);
  return run;
}

/**
 * Create `applications` at once through the API and wait until every one is SENT. Times come
 * from the database's clock: the run starts at the clock_timestamp() read before the first
 * request, and an application is SENT at the transaction time of its history entry to SENT.
 */
async function carryToSent(databaseUrl: string, service: RunningService, target: Target, applications: number, options: PipelineBenchOptions): Promise<PipelineRun> {
  const jobsBefore = await jobsAdded(databaseUrl);
  const [{ started, last }] = (await runSql<{ started: Date; last: string | null }>(
    databaseUrl,
    'SELECT clock_timestamp() AS started, max(application_id)::text AS last FROM auction_applications',
  )) as [{ started: Date; last: string | null }];

  const load = await runLoad({
    url: target.graphqlUrl,
    connections: Math.min(options.connections, applications),
    amount: applications,
    makeRequest: createRequests(target, options.sellers),
    isSuccess: isCreated,
  });
  if (load.failures > 0) {
    throw new Error(`${load.failures} of ${applications} createApplication requests failed. First failure: ${load.firstFailure}`);
  }

  const deadline = started.getTime() + options.timeoutSeconds * 1000;
  for (;;) {
    const [counts] = await runSql<{ sent: number; rejected: number }>(
      databaseUrl,
      `SELECT count(*) FILTER (WHERE application_status = 'SENT')::int AS sent, count(*) FILTER (WHERE status = 'REJECTED')::int AS rejected
       FROM auction_applications WHERE application_id > $1`,
      [last ?? '0'],
    );
    if (counts!.rejected > 0) {
      throw new Error(`${counts!.rejected} applications were rejected, but every sandbox approves in the benchmark; see ${service.worker!.logFile}.`);
    }
    if (counts!.sent >= applications || Date.now() > deadline) {
      break;
    }
    await sleep(200);
  }

  const rows = await runSql<{ latency_ms: number; sent_at: Date }>(
    databaseUrl,
    `SELECT (extract(epoch FROM sent.at - a.created_at) * 1000)::float8 AS latency_ms, sent.at AS sent_at
     FROM auction_applications a
     JOIN LATERAL (
       SELECT min(h.created_at) AS at FROM application_history h
       WHERE h.application_id = a.application_id AND h.changes -> 'applicationStatus' ->> 'to' = 'SENT'
     ) sent ON sent.at IS NOT NULL
     WHERE a.application_id > $1`,
    [last ?? '0'],
  );
  await waitForIdleQueue(databaseUrl, 30_000);
  const [table] = await runSql<{ count: number }>(databaseUrl, 'SELECT count(*)::int AS count FROM auction_applications');
  const finished = rows.length === applications ? Math.max(...rows.map((row) => row.sent_at.getTime())) : Math.min(Date.now(), deadline);
  return {
    applications,
    sent: rows.length,
    seconds: (finished - started.getTime()) / 1000,
    latenciesMs: rows.map((row) => row.latency_ms),
    jobs: (await jobsAdded(databaseUrl)) - jobsBefore,
    tableRows: table!.count,
  };
}

/**
 * Copy the newest finished application, with its history and outbox events, until the tables
 * hold `target` applications. Triggers are off while copying, so the copies send no NOTIFY to
 * the service's live updates. Returns how many were added.
 */
async function fillTables(databaseUrl: string, target: number, sellers: number): Promise<number> {
  const [current] = await runSql<{ count: number; source: string | null }>(
    databaseUrl,
    `SELECT count(*)::int AS count, max(application_id) FILTER (WHERE application_status = 'SENT')::text AS source FROM auction_applications`,
  );
  const missing = target - current!.count;
  if (missing <= 0) {
    return 0;
  }
  if (!current!.source) {
    throw new Error(`Cannot fill the tables to ${target} applications: there is no SENT application to copy yet. Run the smallest table size first.`);
  }

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(
      `WITH source AS (SELECT * FROM auction_applications WHERE application_id = $1),
       copies AS (
         INSERT INTO auction_applications (user_id, offer_id, vin, offer_body, inspect_time, inspect_place, status, application_status,
           moderation_status, waiting_data, pro_auto_request_id, pro_auto_report, cme_evaluation_id, cme_evaluation, cme_inspection,
           created_at, updated_at, completed_at)
         SELECT 'bench-seller-' || ((n - 1) % $4), s.offer_id, 'PF' || lpad(($2 + n)::text, 15, '0'), s.offer_body, s.inspect_time, s.inspect_place,
           s.status, s.application_status, s.moderation_status, s.waiting_data, s.pro_auto_request_id, s.pro_auto_report, s.cme_evaluation_id,
           s.cme_evaluation, s.cme_inspection, s.created_at, s.updated_at, s.completed_at
         FROM source s, generate_series(1, $3) AS n
         RETURNING application_id
       ),
       history AS (
         INSERT INTO application_history (application_id, action, actor_type, actor_id, status, changes, created_at)
         SELECT c.application_id, h.action, h.actor_type, h.actor_id, h.status, h.changes, h.created_at
         FROM copies c CROSS JOIN application_history h WHERE h.application_id = $1
       )
       INSERT INTO outbox_events (application_id, event_type, payload, created_at, published_at, attempts)
       SELECT c.application_id, o.event_type, o.payload, o.created_at, o.published_at, o.attempts
       FROM copies c CROSS JOIN outbox_events o WHERE o.application_id = $1`,
      [current!.source, current!.count, missing, sellers],
    );
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
  return missing;
}

/** Jobs ever added to graphile-worker on this database, read from the sequence of its job ids. */
async function jobsAdded(databaseUrl: string): Promise<number> {
  const [sequence] = await runSql<{ name: string }>(databaseUrl, `SELECT pg_get_serial_sequence('graphile_worker._private_jobs', 'id') AS name`);
  const [row] = await runSql<{ value: string }>(databaseUrl, `SELECT (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)::text AS value FROM ${sequence!.name}`);
  return Number(row!.value);
}

/** Wait until no job is due, so that a repeat starts on an idle worker. Jobs due later, such as cron runs, do not count. */
async function waitForIdleQueue(databaseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await runSql<{ due: number }>(databaseUrl, 'SELECT count(*)::int AS due FROM graphile_worker._private_jobs WHERE run_at <= now()');
    if (row!.due === 0) {
      return;
    }
    await sleep(100);
  }
}

/** Drop graphile-worker's queues that no job uses any more, so that every repeat starts with as few. */
async function collectJobQueues(databaseUrl: string): Promise<void> {
  const utils = await makeWorkerUtils({ connectionString: databaseUrl });
  try {
    await utils.cleanup({ tasks: ['GC_JOB_QUEUES'] });
  } finally {
    await utils.release();
  }
}
