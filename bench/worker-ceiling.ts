import { performance } from 'node:perf_hooks';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import type { BenchProcess } from './processes.js';

export interface BareWorkerRun {
  applications: number;
  /** Jobs per application; a fraction is rounded to the nearest whole job. */
  jobsPerApplication: number;
  /** Makes this run's queue names differ from earlier runs on the same database. */
  runId: string;
  /** Put each application's jobs on a queue of its own, as the pipeline does, or on none. */
  queuePerApplication: boolean;
}

/**
 * Time the bare worker (bench/bare-worker.ts) through `applications` chains of
 * `jobsPerApplication` no-op jobs, each job adding the next one as a pipeline stage does. The
 * first job of every chain is added at once in one statement. Returns the seconds from that add
 * to the last job's success.
 */
export async function timeBareWorker(bareWorker: BenchProcess, databaseUrl: string, run: BareWorkerRun): Promise<number> {
  const perApplication = Math.max(1, Math.round(run.jobsPerApplication));
  const specs = [];
  for (let application = 0; application < run.applications; application += 1) {
    const queue = run.queuePerApplication ? `bare:${run.runId}:${application}` : undefined;
    specs.push({ identifier: 'noop', payload: { left: perApplication, queue }, queueName: queue });
  }

  const utils: WorkerUtils = await makeWorkerUtils({ connectionString: databaseUrl });
  try {
    const done = bareWorker.waitFor<{ finishedAt: number }>('done');
    await bareWorker.request({ type: 'expect', count: run.applications * perApplication });
    const started = performance.now();
    await utils.addJobs(specs);
    await done;
    return (performance.now() - started) / 1000;
  } finally {
    await utils.release();
  }
}
