import { Kafka, logLevel, type KafkaConfig, type logCreator } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * The only place that builds a kafkajs client. kafkajs (2.2.4) has been unmaintained upstream
 * since 2023, so the rest of the service reaches Kafka through the small modules of this folder,
 * and a replacement client would change only them.
 */

export type KafkaSettings = Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>;

/** Check whether a broker is configured. Without one the outbox relay and the verdict consumer do not run. */
export function isKafkaConfigured(config: Pick<Config, 'KAFKA_BROKERS'>): config is Pick<Config, 'KAFKA_BROKERS'> & { KAFKA_BROKERS: string } {
  return Boolean(config.KAFKA_BROKERS);
}

/** Split KAFKA_BROKERS (`host:port,host:port`) into kafkajs's broker list. */
export function parseBrokers(brokers: string): string[] {
  return brokers
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

/**
 * Create a kafkajs client for the configured brokers that logs through pino. Throws when
 * KAFKA_BROKERS is not set, because every caller must check `isKafkaConfigured` first.
 */
export function createKafkaClient(config: KafkaSettings, logger: Logger, overrides: Partial<KafkaConfig> = {}): Kafka {
  if (!config.KAFKA_BROKERS) {
    throw new Error('KAFKA_BROKERS is missing: set it to host:port pairs separated by commas, such as 127.0.0.1:9092.');
  }
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: parseBrokers(config.KAFKA_BROKERS),
    connectionTimeout: 3000,
    // Connecting gives up after about 10 s (5 retries, 300 ms doubling up to 5 s), so a caller
    // such as the outbox relay fails during a broker outage and retries on its own schedule.
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
    // kafkajs's DEBUG level logs every request; INFO and above go to pino, which filters further.
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(logger.child({ component: 'kafkajs' })),
    ...overrides,
  });
}

const PINO_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Route kafkajs's log entries to pino, keeping kafkajs's fields (broker, group, error) as fields. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _source, ...fields } = log;
      const method = PINO_LEVELS[level] ?? 'info';
      logger[method]({ namespace, ...fields }, `kafkajs ${namespace}: ${message}`);
    };
}
