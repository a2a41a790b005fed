import type pg from 'pg';
import type { Logger } from '../logger.js';
import type { KafkaRecord, RecordPublisher } from './publisher.js';

/**
 * The outbox relay: it publishes the rows of `outbox_events` to the events topic in id order and
 * marks each row published only after the broker acknowledged it. Delivery is at least once: a
 * process that dies between the send and the mark publishes the batch again on the next run,
 * with the same `event-id` header, and consumers deduplicate by it.
 *
 * Order. Every change of an application locks its row first, so the outbox ids of one
 * application follow the commit order of its changes. Records are keyed by application id, so
 * one application's events land in one partition in id order. Ids of different applications may
 * commit out of order, which is why the relay selects every unpublished row instead of keeping a
 * high-water mark: a late-committed lower id is still found on the next run.
 *
 * One relay at a time. Each batch runs in a transaction that first takes a PostgreSQL advisory
 * lock, and a relay that finds the lock taken does nothing and returns `busy`. The lock is
 * released at commit, and also when a crashed process's connection closes. A graphile-worker job
 * queue would serialize the relays as well, but a worker that dies keeps its queue locked for
 * hours.
 */

export interface OutboxRelayOptions {
  pool: pg.Pool;
  publisher: RecordPublisher;
  /** The events topic (KAFKA_EVENTS_TOPIC). */
  topic: string;
  logger: Logger;
  /** Events per send and per transaction. Default: 200. */
  batchSize?: number;
  /** Stops the relay between batches, such as at a graceful shutdown. */
  signal?: AbortSignal;
}

export type OutboxRelayResult =
  | { outcome: 'done'; published: number }
  | { outcome: 'busy' }
  | { outcome: 'aborted'; published: number };

/** The name whose hash is the relay's advisory lock id. */
const RELAY_LOCK_NAME = 'auction-applications:publish_outbox';

interface OutboxRow {
  outbox_id: string;
  event_id: string;
  application_id: string;
  event_type: string;
  version: string | null;
  payload: string;
}

/**
 * Publish every unpublished outbox event, batch after batch, until none is left. Throws when a
 * send or the database fails. The failed batch then stays unpublished with its `attempts` and
 * `last_error` updated, and the next run sends it again.
 */
export async function publishOutbox(options: OutboxRelayOptions): Promise<OutboxRelayResult> {
  const batchSize = options.batchSize ?? 200;
  let published = 0;
  for (;;) {
    if (options.signal?.aborted) {
      return { outcome: 'aborted', published };
    }
    const batch = await publishBatch(options, batchSize);
    if (batch === 'busy') {
      return published > 0 ? { outcome: 'done', published } : { outcome: 'busy' };
    }
    published += batch;
    if (batch < batchSize) {
      return { outcome: 'done', published };
    }
  }
}

/** Publish one batch in one transaction; return how many events it published, or `busy`. */
async function publishBatch(options: OutboxRelayOptions, batchSize: number): Promise<number | 'busy'> {
  const { pool, publisher, topic, logger } = options;
  const client = await pool.connect();
  let open = false;
  let broken = false;
  try {
    await client.query('BEGIN');
    open = true;
    const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked', [RELAY_LOCK_NAME]);
    if (!lock.rows[0]?.locked) {
      await client.query('ROLLBACK');
      open = false;
      return 'busy';
    }

    const { rows } = await client.query<OutboxRow>(
      // The ids are read as text because they are BIGINTs. The sort names the table's column,
      // because ORDER BY outbox_id would sort by the text output column of the same name.
      `SELECT outbox_id::text, event_id::text, application_id::text, event_type, payload->>'version' AS version, payload::text AS payload
         FROM outbox_events
        WHERE published_at IS NULL
        ORDER BY outbox_events.outbox_id
        LIMIT $1`,
      [batchSize],
    );
    if (rows.length === 0) {
      await client.query('COMMIT');
      open = false;
      return 0;
    }

    const ids = rows.map((row) => row.outbox_id);
    const range = `${ids[0]}..${ids.at(-1)}`;
    const started = performance.now();
    try {
      await publisher.send(topic, rows.map(toRecord));
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await client.query('UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE outbox_id = ANY($1::bigint[])', [ids, message]);
      await client.query('COMMIT');
      open = false;
      logger.warn({ err: error, outboxIds: range, topic }, `Publishing ${rows.length} outbox event(s) (ids ${range}) to ${topic} failed; they stay unpublished for the next run.`);
      throw error;
    }

    await client.query('UPDATE outbox_events SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE outbox_id = ANY($1::bigint[])', [ids]);
    await client.query('COMMIT');
    open = false;
    logger.info(
      { outboxIds: range, topic, count: rows.length, durationMs: Math.round(performance.now() - started) },
      `Published ${rows.length} outbox event(s) (ids ${range}) to ${topic}.`,
    );
    return rows.length;
  } catch (error) {
    if (open) {
      // A client whose transaction failed may be in any state, so it is closed instead of reused.
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Build the Kafka record of an outbox row: the payload as stored (JSON), keyed by application
 * id, with headers that let consumers deduplicate and route without parsing the value.
 */
function toRecord(row: OutboxRow): KafkaRecord {
  return {
    key: row.application_id,
    value: row.payload,
    headers: {
      'event-id': row.event_id,
      'event-type': row.event_type,
      ...(row.version ? { 'event-version': row.version } : {}),
    },
  };
}
