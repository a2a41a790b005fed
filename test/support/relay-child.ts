import pg from 'pg';
import { createKafkaClient } from '../../src/kafka/client.js';
import { publishOutbox } from '../../src/kafka/outbox-relay.js';
import { createRecordPublisher, type RecordPublisher } from '../../src/kafka/publisher.js';
import { createLogger } from '../../src/logger.js';

/**
 * The outbox relay in a process of its own, for the test that kills it between the broker's
 * acknowledgement and the mark in the database. After its first send is acknowledged it sends
 * the event ids to the parent over IPC and waits, so the parent's SIGKILL lands exactly there.
 *
 * Environment: DATABASE_URL, KAFKA_BROKERS, KAFKA_EVENTS_TOPIC, BATCH_SIZE.
 */

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'relay-child' });
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const kafka = createKafkaClient({ KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_CLIENT_ID: 'relay-child' }, logger);
const realPublisher = createRecordPublisher(kafka, logger);

const publisher: RecordPublisher = {
  async send(topic, records) {
    await realPublisher.send(topic, records);
    process.send?.({ sent: records.map((record) => String(record.headers['event-id'])) });
    await new Promise(() => {});
  },
  close: () => realPublisher.close(),
};

await publishOutbox({ pool, publisher, topic: process.env.KAFKA_EVENTS_TOPIC!, logger, batchSize: Number(process.env.BATCH_SIZE ?? 200) });
