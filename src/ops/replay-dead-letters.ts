import type { IHeaders, Kafka } from 'kafkajs';
import { createRecordPublisher } from '../kafka/publisher.js';
import { DEAD_LETTER_HEADERS } from '../kafka/verdict-consumer.js';
import type { Logger } from '../logger.js';

/** The header that marks a replayed record with where it was dead-lettered, as `topic/partition@offset`. */
export const REPLAYED_FROM_HEADER = 'replayed-from';

export interface ReplayDeadLettersOptions {
  kafka: Kafka;
  logger: Logger;
  /** The dead-letter topic (KAFKA_VERDICTS_DLQ_TOPIC). */
  fromTopic: string;
  /** The verdict topic (KAFKA_VERDICTS_TOPIC), where the verdict consumer reads them again. */
  toTopic: string;
  /**
   * The consumer group whose committed offsets remember what was replayed, so a second run
   * replays only dead letters that arrived since. Default: `<KAFKA_CONSUMER_GROUP>.dlq-replay`.
   */
  groupId: string;
  /** Replay at most this many records. Default: all that were on the topic when the replay started. */
  limit?: number;
  /** List the records without producing them or committing offsets. Default: false. */
  dryRun?: boolean;
  /** Give up when no record arrives for this long, in milliseconds. Default: 30000. */
  idleTimeoutMs?: number;
}

export interface ReplayedRecord {
  partition: number;
  offset: string;
  reason: string | undefined;
  detail: string | undefined;
}

export interface ReplayReport {
  /** The records replayed, or listed in a dry run, in the order of each partition. */
  records: ReplayedRecord[];
  /** Records that were on the topic when the replay started and are still left, because of `limit`. */
  remaining: number;
  dryRun: boolean;
}

/**
 * Send the dead-lettered verdicts back to the verdict topic, for after the cause was fixed (a
 * verdict that named an application committed later, or a bug in the intake). Only the records on
 * the topic when the replay starts are replayed. Each is produced without its dead-letter headers
 * and with `replayed-from`, and its offset is committed in the replay group only after the broker
 * acknowledged it, so a replay that stops halfway resumes where it stopped. The verdict intake
 * applies a verdict once, so a record replayed twice does no harm. A record that fails again returns
 * to the dead-letter topic with its new reason.
 */
export async function replayDeadLetters(options: ReplayDeadLettersOptions): Promise<ReplayReport> {
  const logger = options.logger.child({ component: 'dlq-replay', fromTopic: options.fromTopic, toTopic: options.toTopic, groupId: options.groupId });
  const dryRun = options.dryRun ?? false;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;

  const admin = options.kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let starts: Map<number, bigint>;
  try {
    const topicOffsets = await admin.fetchTopicOffsets(options.fromTopic);
    const [committed] = await admin.fetchOffsets({ groupId: options.groupId, topics: [options.fromTopic] });
    ends = new Map(topicOffsets.map((partition) => [partition.partition, BigInt(partition.high)]));
    const lows = new Map(topicOffsets.map((partition) => [partition.partition, BigInt(partition.low)]));
    starts = new Map(
      topicOffsets.map(({ partition }) => {
        const offset = committed?.partitions.find((candidate) => candidate.partition === partition)?.offset ?? '-1';
        const low = lows.get(partition)!;
        return [partition, BigInt(offset) < low ? low : BigInt(offset)];
      }),
    );
  } finally {
    await admin.disconnect();
  }

  let pending = [...ends].reduce((sum, [partition, end]) => sum + (end > starts.get(partition)! ? end - starts.get(partition)! : 0n), 0n);
  const report: ReplayReport = { records: [], remaining: Number(pending), dryRun };
  if (pending === 0n || limit <= 0) {
    logger.info(`No dead letters to replay from ${options.fromTopic}.`);
    return report;
  }

  const publisher = createRecordPublisher(options.kafka, logger);
  const consumer = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 1000 });
  let finish: (error?: Error) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  let idleTimer: NodeJS.Timeout | undefined;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const touch = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => finish(new Error(`No dead letter arrived for ${idleTimeoutMs} ms although ${pending} were expected; run the replay again.`)), idleTimeoutMs);
  };

  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.fromTopic, fromBeginning: true });
    touch();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = BigInt(message.offset);
        // Records dead-lettered after the replay started wait for the next replay.
        if (offset >= ends.get(partition)! || report.records.length >= limit) {
          return;
        }
        touch();
        const headers = message.headers ?? {};
        const record: ReplayedRecord = {
          partition,
          offset: message.offset,
          reason: headers[DEAD_LETTER_HEADERS.reason]?.toString(),
          detail: headers[DEAD_LETTER_HEADERS.detail]?.toString(),
        };
        if (!dryRun) {
          await publisher.send(options.toTopic, [
            {
              key: message.key,
              value: message.value ?? Buffer.alloc(0),
              headers: { ...withoutDeadLetterHeaders(headers), [REPLAYED_FROM_HEADER]: `${options.fromTopic}/${partition}@${message.offset}` },
            },
          ]);
          await consumer.commitOffsets([{ topic: options.fromTopic, partition, offset: (offset + 1n).toString() }]);
        }
        report.records.push(record);
        pending -= 1n;
        logger.info({ partition, offset: message.offset, reason: record.reason }, `${dryRun ? 'Would replay' : 'Replayed'} the dead letter at ${options.fromTopic}/${partition}@${message.offset} (${record.reason ?? 'no reason header'}).`);
        if (pending === 0n || report.records.length >= limit) {
          finish();
        }
      },
    });
    await finished;
  } finally {
    clearTimeout(idleTimer);
    await consumer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'Disconnecting the replay consumer failed.'));
    await publisher.close();
  }

  report.remaining = Number(pending);
  return report;
}

function withoutDeadLetterHeaders(headers: IHeaders): IHeaders {
  const names = new Set<string>([...Object.values(DEAD_LETTER_HEADERS), REPLAYED_FROM_HEADER]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(name)));
}
