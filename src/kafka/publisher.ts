import { Partitioners, type IHeaders, type Kafka, type Producer, type RetryOptions } from 'kafkajs';
import type { Logger } from '../logger.js';

/** One Kafka record: the service's own records are JSON text keyed by application id. */
export interface KafkaRecord {
  /** Null only for a dead letter whose original record had no key. */
  key: string | Buffer | null;
  value: string | Buffer;
  headers: IHeaders;
}

export interface RecordPublisher {
  /**
   * Send records to one topic in order and resolve once the broker acknowledged every one of them
   * on all in-sync replicas (acks=-1). Rejects when any record was not acknowledged; some of the
   * batch may then be on the topic already, so callers send it again and consumers deduplicate.
   */
  send(topic: string, records: KafkaRecord[]): Promise<void>;
  /** Disconnect the producer. Later sends connect again. */
  close(): Promise<void>;
}

export interface RecordPublisherOptions {
  /**
   * kafkajs's retries of one send. Default: 5 retries from 300 ms up to 5 s apart, about 10 s in
   * all, so that a send during a broker outage fails and its caller's retry policy takes over
   * instead of a job that never ends.
   */
  retry?: RetryOptions;
}

const DEFAULT_RETRY: RetryOptions = { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 };

/**
 * Create a publisher over one idempotent kafkajs producer, connected on first use. The producer
 * keeps one request in flight, so a retried request cannot overtake the next one and records of
 * one partition keep their order. After a failed send the producer is dropped and the next send
 * starts a fresh one with a new producer id, because kafkajs's sequence numbers may be out of
 * step with the broker after a broker restart.
 */
export function createRecordPublisher(kafka: Kafka, logger: Logger, options: RecordPublisherOptions = {}): RecordPublisher {
  let connecting: Promise<Producer> | undefined;

  const connect = (): Promise<Producer> => {
    connecting ??= (async () => {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // The Java client's murmur2 partitioner, so producers in any language agree on a key's partition.
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: options.retry ?? DEFAULT_RETRY,
      });
      try {
        await producer.connect();
      } catch (error) {
        connecting = undefined;
        await producer.disconnect().catch(() => undefined);
        throw error;
      }
      return producer;
    })();
    return connecting;
  };

  const drop = async (producer: Producer) => {
    const current = await connecting?.catch(() => undefined);
    if (current === producer) {
      connecting = undefined;
      await producer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'Disconnecting a failed Kafka producer failed; a new one is used.'));
    }
  };

  return {
    async send(topic, records) {
      if (records.length === 0) {
        return;
      }
      const producer = await connect();
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: records.map((record) => ({ key: record.key, value: record.value, headers: record.headers })),
        });
      } catch (error) {
        await drop(producer);
        throw error;
      }
    },
    async close() {
      const pending = connecting;
      connecting = undefined;
      const producer = await pending?.catch(() => undefined);
      await producer?.disconnect();
    },
  };
}
