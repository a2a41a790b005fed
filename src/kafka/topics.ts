import type { Kafka } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export type TopicSettings = Pick<Config, 'KAFKA_EVENTS_TOPIC' | 'KAFKA_VERDICTS_TOPIC' | 'KAFKA_VERDICTS_DLQ_TOPIC'>;

/** Return the topics the service writes to or reads from: application events, verdicts, dead letters. */
export function serviceTopics(config: TopicSettings): string[] {
  return [...new Set([config.KAFKA_EVENTS_TOPIC, config.KAFKA_VERDICTS_TOPIC, config.KAFKA_VERDICTS_DLQ_TOPIC])];
}

/**
 * Create the topics that do not exist yet, with the broker's default partition count and
 * replication factor (`num.partitions`, `default.replication.factor`), and wait until each
 * partition has a leader. Existing topics are left as they are, so operators may size them
 * beforehand. Safe to call from several processes at once.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], logger: Logger): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) {
      return [];
    }
    // Another process may create the same topics at the same moment; kafkajs then returns false.
    await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    logger.info({ topics: missing }, `Created the Kafka topics ${missing.join(', ')}.`);
    return missing;
  } finally {
    await admin.disconnect();
  }
}
