import type { Consumer, EachMessagePayload, IHeaders, Kafka } from 'kafkajs';
import type { Database } from '../db/prisma.js';
import type { Logger } from '../logger.js';
import { acceptModerationVerdict, type VerdictIntakeResult } from '../pipeline/verdict-intake.js';
import { createRecordPublisher, type RecordPublisher } from './publisher.js';

/**
 * The moderation verdict consumer: a consumer group on the verdict topic that hands every record
 * to the same intake as the signed HTTP endpoint. Offsets are committed by hand, one record at a
 * time, and only after the intake committed its transaction, so a crash before the commit
 * redelivers the record and the intake reports it as a duplicate.
 *
 * A record the intake cannot use (malformed, or naming an application that does not exist) goes
 * to the dead-letter topic with headers that state the reason, and the consumer moves on.
 *
 * An error of the intake itself, such as a database outage, is not the record's fault. The
 * record is retried, then kafkajs restarts the consumer, and a crash that kafkajs does not
 * restart from is restarted here.
 */

export type VerdictIntake = (deps: { db: Database; logger: Logger }, message: unknown) => Promise<VerdictIntakeResult>;

export interface VerdictConsumerOptions {
  kafka: Kafka;
  db: Database;
  logger: Logger;
  /** The verdict topic (KAFKA_VERDICTS_TOPIC). */
  topic: string;
  /** The dead-letter topic for unusable verdicts (KAFKA_VERDICTS_DLQ_TOPIC). */
  deadLetterTopic: string;
  /** The consumer group (KAFKA_CONSUMER_GROUP). */
  groupId: string;
  /** Default: the pipeline's `acceptModerationVerdict`. */
  intake?: VerdictIntake;
  /** Producer of dead letters. Default: a publisher of the consumer's own, closed by `stop`. */
  deadLetters?: RecordPublisher;
  /** Delay before a restart after a crash that kafkajs does not restart from, in ms. Default: 5000. */
  restartDelayMs?: number;
  /**
   * The longest time a fetch waits for new records, in ms. `stop` waits for the fetch in
   * progress, so this also bounds how long stopping takes. Default: 5000 (kafkajs's default).
   */
  maxWaitTimeMs?: number;
}

export interface VerdictConsumer {
  /** Resolves when the consumer first joined its group, for callers that wait for it. */
  joined: Promise<void>;
  /** Leave the group and disconnect; a record in progress finishes first. */
  stop(): Promise<void>;
}

/** Dead-letter headers, beside the original record's own headers. */
export const DEAD_LETTER_HEADERS = {
  reason: 'dead-letter-reason',
  detail: 'dead-letter-detail',
  topic: 'original-topic',
  partition: 'original-partition',
  offset: 'original-offset',
} as const;

/**
 * Start the consumer. A broker that cannot be reached at start does not make this throw: the
 * consumer logs the error and tries again every `restartDelayMs`, so the worker runs meanwhile.
 */
export function startVerdictConsumer(options: VerdictConsumerOptions): VerdictConsumer {
  const logger = options.logger.child({ component: 'verdict-consumer', topic: options.topic, groupId: options.groupId });
  const intake = options.intake ?? acceptModerationVerdict;
  const deadLetters = options.deadLetters ?? createRecordPublisher(options.kafka, logger);
  const restartDelayMs = options.restartDelayMs ?? 5000;

  let consumer: Consumer | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let markJoined: () => void = () => {};
  const joined = new Promise<void>((resolve) => {
    markJoined = resolve;
  });

  const handle = async ({ topic, partition, message }: EachMessagePayload, current: Consumer) => {
    const location = { topic, partition, offset: message.offset };
    const recordLogger = logger.child(location);
    let result: VerdictIntakeResult;
    try {
      result = await intake({ db: options.db, logger: recordLogger }, message.value ?? Buffer.alloc(0));
    } catch (error) {
      recordLogger.error({ err: error }, `The verdict at ${topic}/${partition}@${message.offset} could not be taken in, so it is retried: ${(error as Error).message}`);
      throw error;
    }

    if (result.outcome === 'invalid' || result.outcome === 'unknown_application') {
      const detail = result.outcome === 'invalid' ? result.reason : `application ${result.applicationId} does not exist`;
      await deadLetters.send(options.deadLetterTopic, [
        {
          key: message.key,
          value: message.value ?? Buffer.alloc(0),
          headers: {
            ...withoutDeadLetterHeaders(message.headers),
            [DEAD_LETTER_HEADERS.reason]: result.outcome,
            [DEAD_LETTER_HEADERS.detail]: detail,
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: String(partition),
            [DEAD_LETTER_HEADERS.offset]: message.offset,
          },
        },
      ]);
      recordLogger.warn(
        { outcome: result.outcome, detail },
        `The verdict at ${topic}/${partition}@${message.offset} was sent to ${options.deadLetterTopic} (${result.outcome}): ${detail}.`,
      );
    }

    await current.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  };

  const scheduleRestart = (reason: string) => {
    if (stopped || restartTimer) {
      return;
    }
    logger.warn(`The verdict consumer restarts in ${restartDelayMs} ms because ${reason}.`);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void launch();
    }, restartDelayMs);
  };

  const launch = async () => {
    const current = options.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 5000,
      // A crash during stop() must not bring the consumer back.
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000, restartOnFailure: async () => !stopped },
    });
    consumer = current;
    current.on(current.events.GROUP_JOIN, ({ payload }) => {
      logger.info({ memberId: payload.memberId }, `The verdict consumer joined group ${payload.groupId} and reads ${options.topic}.`);
      markJoined();
    });
    current.on(current.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, restart: payload.restart }, `The verdict consumer crashed: ${payload.error.message}`);
      if (!payload.restart && consumer === current) {
        void current.disconnect().catch(() => undefined);
        scheduleRestart('kafkajs does not restart it after this error');
      }
    });

    try {
      await current.connect();
      // A new group starts at the oldest record, so verdicts sent before its first start count.
      await current.subscribe({ topic: options.topic, fromBeginning: true });
      await current.run({ autoCommit: false, eachMessage: (payload) => handle(payload, current) });
    } catch (error) {
      logger.error({ err: error }, `Starting the verdict consumer failed: ${(error as Error).message}`);
      await current.disconnect().catch(() => undefined);
      if (consumer === current) {
        scheduleRestart('it could not start');
      }
    }
  };

  void launch();

  return {
    joined,
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      await consumer?.disconnect();
      if (!options.deadLetters) {
        await deadLetters.close();
      }
      logger.info('The verdict consumer stopped.');
    },
  };
}

/** Drop dead-letter headers of an earlier pass, so a record sent back from the dead-letter topic is described once. */
function withoutDeadLetterHeaders(headers: IHeaders | undefined): IHeaders {
  const names = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !names.has(name)));
}
