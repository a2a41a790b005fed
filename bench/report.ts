import type { Machine } from './machine.js';
import type { Summary } from './stats.js';

/** A figure of the service beside the same figure of its ceiling. */
export interface Comparison {
  benchmark: string;
  /** The work of one repeat, such as `2,000 requests at 32 connections`. */
  work: string;
  metric: string;
  unit: string;
  service: Summary;
  /** Absent where the ceiling has no such figure. */
  ceiling?: Summary;
}

export interface MemoryFigure {
  process: string;
  during: string;
  /** Peak resident set size (VmHWM) in bytes; absent where /proc is missing. */
  peakRssBytes?: number;
}

export interface ScalePoint {
  /** Applications in the tables once the batch is done. */
  applications: number;
  /** Applications created at once and timed in each repeat. */
  batch: number;
  repeats: number;
  /** Graphile-worker jobs the pipeline ran per application, counted in the run. */
  jobsPerApplication: number;
  throughput: Summary;
  latencyP50Ms: Summary;
  latencyP99Ms: Summary;
  /** Applications per second that the bare worker reaches on as many no-op jobs, one queue per application. */
  bareThroughput: Summary;
  /** The same without queues. */
  bareUnqueuedThroughput: Summary;
  apiPeakRssBytes?: number;
  workerPeakRssBytes?: number;
}

export interface BenchReport {
  machine: Machine;
  command: string;
  startedAt: Date;
  durationSeconds: number;
  /** The machine's 1-minute load average when the run started and ended; absent on platforms without one. */
  loadAverage?: { start: number; end: number };
  settings: string[];
  comparisons: Comparison[];
  memory: MemoryFigure[];
  scale: ScalePoint[];
  /** Parts that could not run, with the reason, printed under the tables. */
  skipped: string[];
}

/** Render the report as the Markdown page docs/benchmarks.md. */
export function renderMarkdown(report: BenchReport): string {
  const { machine } = report;
  const lines = [
    '# Benchmarks',
    '',
    'This page is written by `npm run bench` (bench/run.ts), so edit that code rather than this',
    'page. Every figure below was measured in the run described here, with the service and the',
    'ceilings it is built on running on the same machine in the same run. A ratio divides the',
    "service's median by the ceiling's: for a rate, near 1 means that the service adds little to",
    'what its building blocks allow; for a latency, the service takes that many times longer.',
    '',
    '## How to run',
    '',
    '- `npm run bench` runs everything and writes this page. It needs a PostgreSQL server at',
    '  DATABASE_URL (default `postgres://postgres@127.0.0.1:5432/test`), on which it creates and',
    '  drops databases named `aa_bench_*`.',
    '- `npm run bench -- --quick` (or `BENCH_QUICK=1`) runs small sizes, to try the benchmarks out;',
    '  `--output FILE` writes the page elsewhere and `--no-write` only prints the tables.',
    '- `KAFKA_BROKERS` is passed on to the service when set; without it the service runs without',
    '  Kafka. `BENCH_LOG_LEVEL` sets the LOG_LEVEL of the service processes (default `info`).',
    '- `test/bench.smoke.test.ts` runs the same code with tiny sizes as part of `npm test`.',
    '- Each process writes its log to a folder `aa-bench-logs-*` under the system temporary folder.',
    '',
    '## This run',
    '',
    `- Command: \`${report.command}\``,
    `- Date: ${report.startedAt.toISOString()} (took ${report.durationSeconds.toFixed(0)} s)`,
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory, ${machine.os}`,
    `- Node.js ${machine.node}, PostgreSQL ${machine.postgres}`,
    ...(report.loadAverage
      ? [
          `- 1-minute load average ${report.loadAverage.start.toFixed(2)} at the start and ${report.loadAverage.end.toFixed(2)} at the end of the run, ` +
            'which includes the run itself and any other work on the machine',
        ]
      : []),
    ...report.settings.map((setting) => `- ${setting}`),
    '',
    'Each figure is the median of the repeats, with the minimum and maximum in brackets.',
    '',
    '## Service against its ceilings',
    '',
    '| Benchmark | Work per repeat | Metric | Service | Ceiling | Ratio |',
    '|---|---|---|---:|---:|---:|',
    ...report.comparisons.map(renderComparison),
    '',
    'The API rows send the same requests to the service and to the bare server: createApplication',
    'with a new valid VIN per request, `application(id)` with its history, and the first 20 of',
    '`myApplications`. The bare server (bench/bare-api.ts) is graphql-yoga serving the same printed',
    'schema, whose resolvers run one INSERT into a copy of `auction_applications`, or the same',
    'SELECTs, on a pg pool of the same size, without authentication, rules, history, outbox or jobs.',
    'The service and the bare server each run in their own process; measured repeats alternate',
    'between them after a warm-up of each.',
    '',
  ];

  if (report.scale.length > 0) {
    lines.push(
      '## Pipeline at growing table sizes',
      '',
      '| Rows after the batch | Batch | Repeats | Jobs per application | Applications/s | Bare worker, queue per application | Ratio | Bare worker, no queue | Ratio | Latency p50, ms | Latency p99, ms | API peak RSS | Worker peak RSS |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...report.scale.map(renderScalePoint),
      '',
      'Each repeat creates one batch of applications at once through the API, with every partner',
      'sandbox answering at once, and times it from the first request to the last application',
      "reaching SENT. Latency is each application's time from its creation to SENT, taken from the",
      "database's timestamps. Jobs per application counts the graphile-worker jobs added during a",
      'repeat, divided by the batch.',
      '',
      'The larger table sizes are reached by copying a finished application (its row, history and',
      'outbox events) before the service starts, and each batch is deleted after its repeat, so every',
      'repeat of a size runs against the same number of rows. Creating all N applications at once',
      'instead would exceed the run\'s time budget at the larger sizes: at this run\'s smallest-size',
      `rate, ${estimateMinutes(report)} minutes for 10,000 applications.`,
      '',
      'The bare worker (bench/bare-worker.ts) is graphile-worker with one no-op task. It runs as many',
      'chains of that many jobs as the batch has applications, each job adding the next as a pipeline',
      'stage does: once on one queue per application, as the pipeline queues its jobs, and once with',
      'no queue. It runs on the same database after the service has stopped, because an idle',
      'graphile-worker process with another task list slowed jobs on named queues many times over',
      'when both ran on one database (graphile-worker 0.18.0).',
      '',
    );
  }

  if (report.memory.length > 0) {
    lines.push(
      '## Peak memory',
      '',
      '| Process | During | Peak RSS (VmHWM) |',
      '|---|---|---:|',
      ...report.memory.map((figure) => `| ${figure.process} | ${figure.during} | ${formatBytes(figure.peakRssBytes)} |`),
      '',
      'VmHWM is read from /proc when a phase ends, so it is the peak since the process started: each',
      'phase starts fresh processes, and the API row after the read path includes the write path.',
      '',
    );
  }

  if (report.skipped.length > 0) {
    lines.push('## Not measured in this run', '', ...report.skipped.map((reason) => `- ${reason}`), '');
  }
  return `${lines.join('\n')}\n`;
}

/** Estimate the minutes that 10,000 applications take at the smallest size's median rate. */
function estimateMinutes(report: BenchReport): string {
  const rate = report.scale[0]?.throughput.median ?? 0;
  return rate > 0 ? `about ${Math.round(10_000 / rate / 60)}` : 'an unknown number of';
}

/** Render the comparisons as a plain-text table for the terminal. */
export function renderText(report: BenchReport): string {
  const rows = report.comparisons.map((comparison) => [
    `${comparison.benchmark}, ${comparison.metric}`,
    formatSummary(comparison.service, comparison.unit),
    comparison.ceiling ? formatSummary(comparison.ceiling, comparison.unit) : '-',
    comparison.ceiling ? formatRatio(comparison.service.median, comparison.ceiling.median) : '-',
  ]);
  for (const point of report.scale) {
    rows.push([
      `Pipeline, ${point.applications.toLocaleString('en-US')} rows, applications/s`,
      formatSummary(point.throughput, ''),
      formatSummary(point.bareThroughput, ''),
      formatRatio(point.throughput.median, point.bareThroughput.median),
    ]);
  }
  const header = ['Figure', 'Service', 'Ceiling', 'Ratio'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  return [format(header), ...rows.map(format)].join('\n');
}

export function formatSummary(summary: Summary, unit: string): string {
  const suffix = unit ? ` ${unit}` : '';
  return `${formatNumber(summary.median)}${suffix} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}

export function formatRatio(service: number, ceiling: number): string {
  return ceiling > 0 ? `${service / ceiling >= 10 ? (service / ceiling).toFixed(1) : (service / ceiling).toFixed(2)}×` : '-';
}

/** Format a figure with thousands separators and at most two decimals, fewer for larger values. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

function formatBytes(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${formatNumber(bytes / 2 ** 20)} MiB`;
}

function renderComparison(comparison: Comparison): string {
  const ceiling = comparison.ceiling;
  return [
    '',
    comparison.benchmark,
    comparison.work,
    comparison.metric,
    formatSummary(comparison.service, comparison.unit),
    ceiling ? formatSummary(ceiling, comparison.unit) : '-',
    ceiling ? formatRatio(comparison.service.median, ceiling.median) : '-',
    '',
  ].join(' | ').trim();
}

function renderScalePoint(point: ScalePoint): string {
  return [
    '',
    point.applications.toLocaleString('en-US'),
    point.batch.toLocaleString('en-US'),
    point.repeats,
    formatNumber(point.jobsPerApplication),
    formatSummary(point.throughput, ''),
    formatSummary(point.bareThroughput, ''),
    formatRatio(point.throughput.median, point.bareThroughput.median),
    formatSummary(point.bareUnqueuedThroughput, ''),
    formatRatio(point.throughput.median, point.bareUnqueuedThroughput.median),
    formatSummary(point.latencyP50Ms, ''),
    formatSummary(point.latencyP99Ms, ''),
    formatBytes(point.apiPeakRssBytes),
    formatBytes(point.workerPeakRssBytes),
    '',
  ].join(' | ').trim();
}
