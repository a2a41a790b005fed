/**
 * The ceiling of the pipeline: graphile-worker with one no-op task and nothing else, run as a
 * child process by the benchmarks with the service worker's concurrency and pool size. Like a
 * pipeline stage, a `noop` job adds the next job of its chain, so that a chain of `left` jobs
 * runs one after the other as an application's stages do. The parent adds the first job of each
 * chain. This process counts the jobs that succeed and sends `done` once the count reaches the
 * number that the parent's `expect` message named.
 */
import { run, type Runner, type Task } from 'graphile-worker';

const connectionString = requiredEnv('DATABASE_URL');
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 5);
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 10);

/** The payload of a `noop` job: jobs left in its chain including this one, and the chain's queue. */
interface NoopPayload {
  left: number;
  queue?: string;
}

const noop: Task = async (payload, helpers) => {
  const { left, queue } = payload as NoopPayload;
  if (left > 1) {
    await helpers.addJob('noop', { left: left - 1, queue }, { queueName: queue });
  }
};

let succeeded = 0;
let waiting: { target: number; type: string } | undefined;

const runner: Runner = await run({
  connectionString,
  concurrency,
  maxPoolSize: poolSize,
  noHandleSignals: true,
  taskList: { noop },
});

runner.events.on('job:success', () => {
  succeeded += 1;
  if (waiting && succeeded >= waiting.target) {
    process.send?.({ type: waiting.type, succeeded, finishedAt: Date.now() });
    waiting = undefined;
  }
});

process.on('message', (message: { type: string; count?: number }) => {
  if (message.type === 'expect') {
    // Counting starts now: the parent adds `count` jobs after this reply and waits for the next.
    succeeded = 0;
    process.send?.({ type: 'expect' });
    waiting = { target: message.count ?? 0, type: 'done' };
  }
});

process.once('SIGTERM', () => {
  runner.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

process.send?.({ type: 'ready' });

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is missing: the bare worker needs the benchmark database's URL.`);
  }
  return value;
}
