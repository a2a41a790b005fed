import type { Transaction } from '../db/prisma.js';

export interface AddJobOptions {
  /**
   * Jobs that share a queue name run one at a time, in order. Pipeline jobs use
   * `applicationQueue(id)`, so two stages of one application never run at once.
   */
  queueName?: string;
  /** A job key replaces a pending job with the same key instead of adding a second one. */
  jobKey?: string;
  runAt?: Date;
  maxAttempts?: number;
  priority?: number;
}

/** Return the name of the graphile-worker queue that serialises every job of one application. */
export function applicationQueue(applicationId: bigint | string): string {
  return `application:${applicationId}`;
}

/**
 * Add a graphile-worker job on the transaction's own connection, so the job exists if and only
 * if the state change that requests it commits.
 */
export async function addJobInTransaction(tx: Transaction, taskIdentifier: string, payload: unknown, options: AddJobOptions = {}): Promise<void> {
  const json = JSON.stringify(payload, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  await tx.$executeRaw`
    SELECT graphile_worker.add_job(
      identifier => ${taskIdentifier},
      payload => ${json}::json,
      queue_name => ${options.queueName ?? null},
      run_at => ${options.runAt ?? null}::timestamptz,
      max_attempts => ${options.maxAttempts ?? null}::int,
      job_key => ${options.jobKey ?? null},
      priority => ${options.priority ?? null}::int
    )`;
}
