/**
 * `npm run bench`: measure the service beside its ceilings on this machine and write
 * docs/benchmarks.md. Options:
 *
 *   --quick            small sizes, for trying the benchmarks out (also BENCH_QUICK=1)
 *   --output <file>    where to write the Markdown page (default: docs/benchmarks.md)
 *   --no-write         print the tables only
 *
 * DATABASE_URL names the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test);
 * the benchmarks create and drop databases of their own on it. KAFKA_BROKERS, when set, is
 * passed on to the service.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchApi, type ApiBenchOptions } from './api.js';
import { createTemplate, dropStaleDatabases, existingTemplate } from './database.js';
import { describeMachine } from './machine.js';
import { benchPipeline, type PipelineBenchOptions } from './pipeline.js';
import { renderMarkdown, renderText, type BenchReport, type Comparison } from './report.js';
import type { ServiceSettings } from './service.js';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchPlan {
  /** The PostgreSQL server; any database on it. */
  databaseUrl: string;
  /** A migrated database to copy instead of migrating one, such as the test run's template. */
  templateUrl?: string;
  service: Omit<ServiceSettings, 'databaseUrl'>;
  api: Omit<ApiBenchOptions, 'log'>;
  pipeline: Omit<PipelineBenchOptions, 'log'>;
  /** The command line shown on the page. */
  command: string;
}

/**
 * Choose the sizes of a full or a quick run. The full run is sized to finish within ten minutes
 * on a 2-core machine, where it took about six while other work shared the machine.
 */
export function planFor(kind: 'full' | 'quick', env: NodeJS.ProcessEnv = process.env): BenchPlan {
  const service = {
    poolSize: 10,
    workerConcurrency: 5,
    logLevel: env.BENCH_LOG_LEVEL ?? 'info',
    kafkaBrokers: env.KAFKA_BROKERS || undefined,
  };
  const databaseUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (kind === 'quick') {
    return {
      databaseUrl,
      service,
      api: { connections: 8, warmupRequests: 50, requestsPerRepeat: 200, repeats: 3, sellers: 5 },
      pipeline: { batch: 20, tableSizes: [{ rows: 20, repeats: 3 }, { rows: 200, repeats: 2 }], warmupApplications: 5, connections: 8, sellers: 5, timeoutSeconds: 60 },
      command: 'npm run bench -- --quick',
    };
  }
  return {
    databaseUrl,
    service,
    api: { connections: 16, warmupRequests: 300, requestsPerRepeat: 1000, repeats: 5, sellers: 20 },
    pipeline: {
      batch: 100,
      tableSizes: [
        { rows: 100, repeats: 5 },
        { rows: 1_000, repeats: 3 },
        { rows: 10_000, repeats: 3 },
      ],
      warmupApplications: 10,
      connections: 16,
      sellers: 20,
      timeoutSeconds: 120,
    },
    command: 'npm run bench',
  };
}

/** Run every benchmark of the plan and return the report; nothing is written. */
export async function runBenchmarks(plan: BenchPlan, log: (line: string) => void = () => {}): Promise<BenchReport> {
  const startedAt = new Date();
  const started = performance.now();
  const loadAtStart = os.loadavg()[0]!;
  const machine = await describeMachine(plan.databaseUrl);
  await dropStaleDatabases(plan.databaseUrl);
  log(`Preparing a migrated template database on ${new URL(plan.databaseUrl).host}.`);
  const template = plan.templateUrl ? existingTemplate(plan.templateUrl) : await createTemplate(plan.databaseUrl);
  try {
    const api = await benchApi(template, plan.service, { ...plan.api, log });
    const pipeline = await benchPipeline(template, plan.service, { ...plan.pipeline, log });

    const comparisons: Comparison[] = [...api.comparisons];
    const first = pipeline.scale[0];
    if (first) {
      const work = `${first.batch} applications created at once, ${first.jobsPerApplication.toFixed(1)} jobs each`;
      const benchmark = 'Pipeline: creation to SENT';
      comparisons.push(
        { benchmark, work, metric: 'applications/s', unit: '', service: first.throughput, ceiling: first.bareThroughput },
        { benchmark, work, metric: 'latency p50', unit: 'ms', service: first.latencyP50Ms },
        { benchmark, work, metric: 'latency p99', unit: 'ms', service: first.latencyP99Ms },
      );
    }

    const { service } = plan;
    return {
      machine,
      command: plan.command,
      startedAt,
      durationSeconds: (performance.now() - started) / 1000,
      loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
      settings: [
        `Service: src/main.ts with PROCESS_ROLE=api and PROCESS_ROLE=worker as separate processes, DATABASE_POOL_SIZE=${service.poolSize}, ` +
          `WORKER_CONCURRENCY=${service.workerConcurrency}, LOG_LEVEL=${service.logLevel}, sellers named by X-User-Id, ` +
          (service.kafkaBrokers ? `Kafka at ${service.kafkaBrokers}` : 'no Kafka (KAFKA_BROKERS unset)'),
        'Partners: every sandbox of src/integrations and the local S3 server in a separate process, answering at once',
        `Load: autocannon as a library in the benchmark process, ${plan.api.connections} connections for the API, ${plan.pipeline.connections} for creating pipeline batches`,
        `Ceilings: bench/bare-api.ts (graphql-yoga on the same schema, one SQL statement per field, pool of ${service.poolSize}) ` +
          `and bench/bare-worker.ts (graphile-worker with a no-op task, concurrency ${service.workerConcurrency})`,
      ],
      comparisons,
      memory: [...api.memory, ...pipeline.memory],
      scale: pipeline.scale,
      skipped: [...api.skipped, ...pipeline.skipped],
    };
  } finally {
    await template.drop();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { quick: { type: 'boolean', default: false }, output: { type: 'string' }, 'no-write': { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick || process.env.BENCH_QUICK === '1';
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const output = values['no-write'] ? undefined : path.resolve(values.output ?? path.join(projectRoot, 'docs', 'benchmarks.md'));

  const plan = planFor(quick ? 'quick' : 'full');
  const report = await runBenchmarks(plan, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(`\n${renderText(report)}\n`);
  if (output) {
    await fs.mkdir(path.dirname(output), { recursive: true });
    await fs.writeFile(output, renderMarkdown(report));
    process.stdout.write(`\nWrote ${path.relative(process.cwd(), output)} (${report.durationSeconds.toFixed(0)} s).\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`The benchmarks failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
