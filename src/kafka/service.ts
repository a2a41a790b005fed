import type { TaskList } from 'graphile-worker';
import type { Config } from '../config.js';
import type { Database } from '../db/prisma.js';
import { createKafkaVerdictDelivery } from '../integrations/moderation/kafka-delivery.js';
import type { DeliverVerdict } from '../integrations/moderation/contract.js';
import type { Logger } from '../logger.js';
import { createPublishOutboxTask, PUBLISH_OUTBOX_TASK, publishOutboxCrontab } from '../tasks/publish_outbox.js';
import { createKafkaClient, isKafkaConfigured } from './client.js';
import { startOutboxWakeup, type OutboxWakeup } from './outbox-wakeup.js';
import { createRecordPublisher } from './publisher.js';
import { ensureTopics, serviceTopics } from './topics.js';
import { startVerdictConsumer, type VerdictConsumer } from './verdict-consumer.js';

export interface KafkaServicesOptions {
  config: Config;
  logger: Logger;
  db: Database;
  /** A direct database URL, for the LISTEN connection that wakes the relay. */
  databaseUrl: string;
}

export interface KafkaServices {
  /** The outbox relay, for startWorker's `tasks`. */
  tasks: TaskList;
  /** The relay's safety-net entry, for startWorker's `crontab`. */
  crontab: string[];
  /** Produces verdicts to the verdict topic, for the moderation sandbox. */
  deliverVerdict: DeliverVerdict;
  /** Create the missing topics, then start the verdict consumer and the relay's wake-up. Call it in worker processes. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How often topic creation is tried again after it failed at start, in milliseconds. */
const TOPIC_RETRY_MS = 30_000;

/**
 * Build the service's Kafka parts, or return undefined when KAFKA_BROKERS is not set: then the
 * outbox relay and the verdict consumer do not run, events stay in `outbox_events`, and verdicts
 * come only through the signed HTTP endpoint.
 */
export function createKafkaServices(options: KafkaServicesOptions): KafkaServices | undefined {
  const { config, db } = options;
  if (!isKafkaConfigured(config)) {
    return undefined;
  }
  const logger = options.logger.child({ component: 'kafka' });
  const kafka = createKafkaClient(config, logger);
  const publisher = createRecordPublisher(kafka, logger);
  let consumer: VerdictConsumer | undefined;
  let wakeup: OutboxWakeup | undefined;
  let topicRetry: NodeJS.Timeout | undefined;

  const createTopics = async (): Promise<void> => {
    try {
      await ensureTopics(kafka, serviceTopics(config), logger);
    } catch (error) {
      logger.error({ err: error }, `Creating the Kafka topics failed; trying again in ${TOPIC_RETRY_MS / 1000} s: ${(error as Error).message}`);
      topicRetry = setTimeout(() => void createTopics(), TOPIC_RETRY_MS);
      topicRetry.unref();
    }
  };

  return {
    tasks: { [PUBLISH_OUTBOX_TASK]: createPublishOutboxTask({ pool: db.pool, publisher, topic: config.KAFKA_EVENTS_TOPIC, logger }) },
    crontab: [publishOutboxCrontab()],
    deliverVerdict: createKafkaVerdictDelivery({ publisher, topic: config.KAFKA_VERDICTS_TOPIC }),
    async start() {
      await createTopics();
      consumer = startVerdictConsumer({
        kafka,
        db,
        logger,
        topic: config.KAFKA_VERDICTS_TOPIC,
        deadLetterTopic: config.KAFKA_VERDICTS_DLQ_TOPIC,
        groupId: config.KAFKA_CONSUMER_GROUP,
        deadLetters: publisher,
      });
      wakeup = await startOutboxWakeup({ connectionString: options.databaseUrl, pool: db.pool, logger });
    },
    async stop() {
      clearTimeout(topicRetry);
      await wakeup?.close();
      await consumer?.stop();
      await publisher.close();
    },
  };
}
