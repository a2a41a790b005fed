import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchDatabase, runSql, type BenchTemplate } from './database.js';
import { runLoad, type LoadResult } from './load.js';
import { makeOffer, sellerId } from './offers.js';
import { startProcess, type BenchProcess } from './processes.js';
import { APPLICATION, BARE_TABLE, CREATE_APPLICATION, isApplication, isCreated, isFullPage, MY_APPLICATIONS } from './queries.js';
import type { Comparison, MemoryFigure } from './report.js';
import { startService, type ServiceSettings } from './service.js';
import { summarize } from './stats.js';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));

export interface ApiBenchOptions {
  /** Requests in flight at once. */
  connections: number;
  /** Requests sent to each server before the measured repeats. */
  warmupRequests: number;
  /** Requests of one measured repeat. */
  requestsPerRepeat: number;
  repeats: number;
  /** Sellers that the created applications are spread over; each needs more than 20 for the read path. */
  sellers: number;
  log(line: string): void;
}

export interface ApiBenchResult {
  comparisons: Comparison[];
  memory: MemoryFigure[];
  skipped: string[];
}

interface Target {
  name: string;
  graphqlUrl: string;
  /** Keeps the VINs of the two servers apart. */
  series: number;
  serial: number;
}

/**
 * Benchmarks 1 and 2: the write path (createApplication) and the read path (application and
 * myApplications) of the service's API process, each beside the bare server under the same load.
 * Measured repeats alternate between the two servers, so that a drift of the machine during the
 * run affects both alike.
 */
export async function benchApi(template: BenchTemplate, settings: Omit<ServiceSettings, 'databaseUrl'>, options: ApiBenchOptions): Promise<ApiBenchResult> {
  const database = await createBenchDatabase(template, 'api');
  await runSql(database.url, `CREATE TABLE ${BARE_TABLE} (LIKE auction_applications INCLUDING ALL)`);
  const service = await startService({ ...settings, databaseUrl: database.url }, { worker: false });
  let bare: BenchProcess | undefined;
  try {
    bare = await startProcess({
      name: 'bare-api',
      script: path.join(benchDirectory, 'bare-api.ts'),
      env: { ...process.env, DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(settings.poolSize) },
      ready: { message: true },
    });
    const targets: [Target, Target] = [
      { name: 'service', graphqlUrl: service.graphqlUrl, series: 1, serial: 0 },
      { name: 'bare', graphqlUrl: `${bare.readyMessage.url as string}/graphql`, series: 2, serial: 0 },
    ];
    const work = `${options.requestsPerRepeat.toLocaleString('en-US')} requests at ${options.connections} connections`;
    const comparisons: Comparison[] = [];
    const skipped: string[] = [];

    options.log(`API write path: ${options.repeats} repeats of ${work} to each server.`);
    const writes = await measurePair(targets, options, (target) => createRequests(target, options.sellers), isCreated);
    comparisons.push(...toComparisons('API write: createApplication', work, writes));
    const memory: MemoryFigure[] = [
      { process: 'API (src/main.ts, PROCESS_ROLE=api)', during: 'API write path', peakRssBytes: service.api.peakRss() },
      { process: 'Bare API (bench/bare-api.ts)', during: 'API write path', peakRssBytes: bare.peakRss() },
    ];

    const owned = await runSql<{ id: string; user_id: string }>(database.url, 'SELECT application_id::text AS id, user_id FROM auction_applications ORDER BY application_id');
    options.log(`API read path (application): ${options.repeats} repeats of ${work} to each server.`);
    const reads = await measurePair(targets, options, () => (index) => applicationRequest(owned[index % owned.length]!), isApplication);
    comparisons.push(...toComparisons('API read: application', work, reads));

    const readers = await runSql<{ user_id: string }>(database.url, 'SELECT user_id FROM auction_applications GROUP BY user_id HAVING count(*) > 20 ORDER BY user_id');
    if (readers.length > 0) {
      options.log(`API read path (myApplications): ${options.repeats} repeats of ${work} to each server.`);
      const lists = await measurePair(targets, options, () => (index) => myApplicationsRequest(readers[index % readers.length]!.user_id), isFullPage);
      comparisons.push(...toComparisons('API read: myApplications(first: 20)', work, lists));
    } else {
      skipped.push('API read: myApplications(first: 20), because no seller had more than 20 applications after the write path; raise the write requests or lower the sellers.');
    }
    memory.push({ process: 'API (src/main.ts, PROCESS_ROLE=api)', during: 'API write and read paths', peakRssBytes: service.api.peakRss() });
    return { comparisons, memory, skipped };
  } finally {
    await bare?.stop();
    await service.stop();
    await database.drop();
  }
}

type RequestFactory = (index: number) => { body: string; headers?: Record<string, string> };

/** Warm both servers up, then alternate measured repeats between them. Throws on any failed request. */
async function measurePair(targets: [Target, Target], options: ApiBenchOptions, factoryFor: (target: Target) => RequestFactory, isSuccess: (body: string) => boolean) {
  const results = new Map<string, LoadResult[]>(targets.map((target) => [target.name, []]));
  const load = async (target: Target, amount: number) => {
    const factory = factoryFor(target);
    const result = await runLoad({ url: target.graphqlUrl, connections: options.connections, amount, makeRequest: factory, isSuccess });
    if (result.failures > 0) {
      throw new Error(`${result.failures} of ${result.requests} requests to the ${target.name} server at ${target.graphqlUrl} failed. First failure: ${result.firstFailure}`);
    }
    return result;
  };

  for (const target of targets) {
    await load(target, options.warmupRequests);
  }
  for (let repeat = 0; repeat < options.repeats; repeat += 1) {
    for (const target of targets) {
      const result = await load(target, options.requestsPerRepeat);
      results.get(target.name)!.push(result);
      options.log(`  ${target.name}: ${result.requestsPerSecond.toFixed(0)} requests/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
    }
  }
  return { service: results.get('service')!, bare: results.get('bare')! };
}

function toComparisons(benchmark: string, work: string, results: { service: LoadResult[]; bare: LoadResult[] }): Comparison[] {
  const figure = (metric: string, unit: string, pick: (result: LoadResult) => number): Comparison => ({
    benchmark,
    work,
    metric,
    unit,
    service: summarize(results.service.map(pick)),
    ceiling: summarize(results.bare.map(pick)),
  });
  return [figure('requests/s', '', (result) => result.requestsPerSecond), figure('latency p50', 'ms', (result) => result.p50Ms), figure('latency p99', 'ms', (result) => result.p99Ms)];
}

/** createApplication requests with a new car each, spread over the sellers. */
export function createRequests(target: Target, sellers: number): RequestFactory {
  const inspectTime = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();
  return (index) => {
    const userId = sellerId(index % sellers);
    const offer = makeOffer(target.serial, userId, target.series);
    target.serial += 1;
    return {
      body: JSON.stringify({ query: CREATE_APPLICATION, variables: { input: { offer, inspectTime, inspectPlace: 'Moscow, Tverskaya street, 1' } } }),
      headers: { 'x-user-id': userId },
    };
  };
}

function applicationRequest(owned: { id: string; user_id: string }) {
  return { body: JSON.stringify({ query: APPLICATION, variables: { id: owned.id } }), headers: { 'x-user-id': owned.user_id } };
}

function myApplicationsRequest(userId: string) {
  return { body: JSON.stringify({ query: MY_APPLICATIONS }), headers: { 'x-user-id': userId } };
}
