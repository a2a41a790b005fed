import { beforeAll, describe, expect, inject, it } from 'vitest';
import { renderMarkdown, type BenchReport } from '../bench/report.js';
import { planFor, runBenchmarks, type BenchPlan } from '../bench/run.js';

// The whole benchmark run with tiny sizes: every process, the load generator, the bare servers
// and the report, so that `npm run bench` keeps working as the service changes. runBenchmarks
// stops its processes and drops its databases itself.
let report: BenchReport;
let markdown: string;

beforeAll(async () => {
  const template = inject('templateDatabaseUrl');
  const quick = planFor('quick', { DATABASE_URL: template });
  const plan: BenchPlan = {
    ...quick,
    templateUrl: template,
    service: { ...quick.service, logLevel: 'warn' },
    api: { connections: 4, warmupRequests: 8, requestsPerRepeat: 24, repeats: 2, sellers: 1 },
    pipeline: { batch: 3, tableSizes: [{ rows: 3, repeats: 1 }, { rows: 9, repeats: 1 }], warmupApplications: 2, connections: 3, sellers: 1, timeoutSeconds: 45 },
    command: 'vitest run test/bench.smoke.test.ts',
  };
  report = await runBenchmarks(plan);
  markdown = renderMarkdown(report);
}, 180_000);

describe('bench smoke run', () => {
  it('measures every API operation and the pipeline', () => {
    expect(new Set(report.comparisons.map((comparison) => comparison.benchmark))).toEqual(
      new Set(['API write: createApplication', 'API read: application', 'API read: myApplications(first: 20)', 'Pipeline: creation to SENT']),
    );
  });

  it('gives positive service figures', () => {
    const figures = report.comparisons.map((comparison) => comparison.service.median);
    expect(figures.every((value) => Number.isFinite(value) && value > 0)).toBe(true);
  });

  it('gives positive ceiling figures', () => {
    const figures = report.comparisons.flatMap((comparison) => (comparison.ceiling ? [comparison.ceiling.median] : []));
    expect(figures.every((value) => Number.isFinite(value) && value > 0)).toBe(true);
  });

  it('measures the pipeline at each table size', () => {
    expect(report.scale.map((point) => point.applications)).toEqual([5, 9]);
  });

  it('counts the jobs of an application', () => {
    expect(report.scale.every((point) => point.jobsPerApplication >= 1)).toBe(true);
  });

  it('reads peak memory of every process', () => {
    expect(report.memory.every((figure) => (figure.peakRssBytes ?? 0) > 0)).toBe(true);
  });

  it('writes a table row with numbers per figure', () => {
    const rows = markdown.split("\n").filter((line) => /^\| (API (write|read)|Pipeline:)/.test(line));
    expect(rows.every((row) => /\| [\d,.]+( ms)? \([\d,.]+–[\d,.]+\) \|/.test(row))).toBe(true);
  });

  it('names the machine and the command', () => {
    expect(markdown).toMatch(/- Machine: .+, \d+ cores, [\d.]+ GiB memory/);
  });

  it('shows the command', () => {
    expect(markdown).toContain('`vitest run test/bench.smoke.test.ts`');
  });

  it('skips nothing', () => {
    expect(report.skipped).toEqual([]);
  });
});
