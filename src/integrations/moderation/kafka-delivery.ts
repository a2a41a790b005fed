import type { RecordPublisher } from '../../kafka/publisher.js';
import type { DeliverVerdict } from './contract.js';

export interface KafkaVerdictDeliveryOptions {
  publisher: RecordPublisher;
  /** The verdict topic (KAFKA_VERDICTS_TOPIC). */
  topic: string;
}

/**
 * Deliver verdicts to the verdict topic, the path used when a Kafka broker is configured. The
 * record is keyed by application id, so the verdicts of one application stay in order, and
 * carries the verdict id in a header. One call is one send: it throws unless the broker
 * acknowledged the record, and the moderation sandbox retries.
 */
export function createKafkaVerdictDelivery(options: KafkaVerdictDeliveryOptions): DeliverVerdict {
  return async (verdict) => {
    await options.publisher.send(options.topic, [
      { key: verdict.applicationId, value: JSON.stringify(verdict), headers: { 'verdict-id': verdict.verdictId } },
    ]);
  };
}
