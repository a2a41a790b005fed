import type pg from 'pg';
import type { Logger } from '../logger.js';

/**
 * Detect graphile-worker pools that died without shutting down, and release their jobs.
 *
 * graphile-worker 0.18 marks a running job with `locked_by` (the pool id) and `locked_at`, and
 * only resets locks older than four hours. A worker killed with SIGKILL, or on a machine that
 * vanished, would so hold its applications' queues for hours. Each of our worker processes
 * therefore holds a session-level PostgreSQL advisory lock per pool id on a connection of its
 * own; PostgreSQL releases it the moment that session ends. A lock we can take is a pool whose
 * process is gone, and `graphile_worker.force_unlock_workers` frees its jobs and queues.
 */

/** The first key of our two-key advisory locks, which keeps them apart from locks taken with other first keys. */
const LIVENESS_LOCK_NAMESPACE = 0x6a_6f_62_73; // "jobs"

/** Locks younger than this are left alone: their pool may not have registered its lock yet. */
export const DEFAULT_UNLOCK_GRACE_SECONDS = 30;

interface Registration {
  client: pg.PoolClient;
  poolIds: Set<string>;
  /** Set when a graceful stop releases the locks; an error after that is part of the stop. */
  released: boolean;
}

export interface WorkerLivenessOptions {
  /**
   * Whether the process is shutting down. A database that ends the connection then, such as the
   * embedded PostgreSQL stopped by the same Ctrl-C, is part of the shutdown and logged at info.
   * Default: only after releaseWorkerLiveness.
   */
  isShuttingDown?: () => boolean;
}

const registrations = new WeakMap<pg.Pool, Promise<Registration>>();

/**
 * Hold the liveness lock of a worker pool for as long as this process lives. Repeated calls for
 * the same pool id are cheap, so every job may call it. The options of the first call apply.
 */
export async function registerWorkerLiveness(pool: pg.Pool, workerPoolId: string, logger: Logger, options: WorkerLivenessOptions = {}): Promise<void> {
  let registration = registrations.get(pool);
  if (!registration) {
    registration = pool.connect().then((client) => {
      // This connection is never returned to the pool: ending it would drop the locks.
      const registered: Registration = { client, poolIds: new Set<string>(), released: false };
      client.on('error', (error) => {
        if (registered.released || options.isShuttingDown?.()) {
          logger.info({ err: error }, `The worker liveness connection to PostgreSQL closed during shutdown: ${error.message}`);
        } else {
          logger.error({ err: error }, 'The worker liveness connection to PostgreSQL failed; other workers may now release our jobs early.');
        }
      });
      return registered;
    });
    registrations.set(pool, registration);
    registration.catch(() => registrations.delete(pool));
  }

  const { client, poolIds } = await registration;
  if (poolIds.has(workerPoolId)) {
    return;
  }
  poolIds.add(workerPoolId);
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked', [
    LIVENESS_LOCK_NAMESPACE,
    workerPoolId,
  ]);
  if (rows[0]?.locked) {
    logger.debug({ workerPoolId }, `Worker pool ${workerPoolId} holds its liveness lock.`);
  } else {
    // Another live pool's id hashes to the same key. Once that pool's process ends, our jobs
    // could be released while they run; the tasks are idempotent, so a second run is harmless.
    logger.warn({ workerPoolId }, `Worker pool ${workerPoolId} shares its liveness lock key with another live pool.`);
  }
}

/**
 * Release the liveness locks of this process, as a graceful stop ends its pools. Resolves once
 * the connection has closed: a database stopped right after this (the embedded one, at the end of
 * the service's shutdown) would otherwise end the session first, with "terminating connection
 * due to administrator command".
 */
export async function releaseWorkerLiveness(pool: pg.Pool): Promise<void> {
  const registration = registrations.get(pool);
  registrations.delete(pool);
  if (!registration) {
    return;
  }
  const registered = await registration;
  registered.released = true;
  // pg-pool emits 'remove' once the client it destroys has closed, or at once if it already had.
  const removed = new Promise<void>((resolve) => {
    const onRemove = (client: pg.PoolClient) => {
      if (client === registered.client) {
        pool.off('remove', onRemove);
        resolve();
      }
    };
    pool.on('remove', onRemove);
  });
  registered.client.release(true);
  await removed;
}

/**
 * Find the pools that hold job locks older than `graceSeconds` but whose liveness lock is free,
 * and release their jobs so other workers retry them. Returns the ids of the pools released.
 */
export async function unlockCrashedWorkers(pool: pg.Pool, logger: Logger, options: { graceSeconds?: number } = {}): Promise<string[]> {
  const graceSeconds = options.graceSeconds ?? DEFAULT_UNLOCK_GRACE_SECONDS;
  const own = registrations.get(pool);
  const ownIds = own ? (await own).poolIds : new Set<string>();

  const client = await pool.connect();
  const released: string[] = [];
  try {
    const { rows } = await client.query<{ locked_by: string }>(
      `SELECT DISTINCT locked_by FROM graphile_worker.jobs
        WHERE locked_by IS NOT NULL AND locked_at < now() - make_interval(secs => $1)`,
      [graceSeconds],
    );
    for (const { locked_by: workerPoolId } of rows) {
      if (ownIds.has(workerPoolId)) {
        continue;
      }
      const { rows: probe } = await client.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS free', [
        LIVENESS_LOCK_NAMESPACE,
        workerPoolId,
      ]);
      if (!probe[0]?.free) {
        continue;
      }
      await client.query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [LIVENESS_LOCK_NAMESPACE, workerPoolId]);
      await client.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [[workerPoolId]]);
      released.push(workerPoolId);
      logger.warn({ workerPoolId }, `Worker pool ${workerPoolId} holds job locks but its process is gone, so its jobs were unlocked for retry.`);
    }
  } finally {
    client.release();
  }
  return released;
}
