import { postSignedJson } from '../signed-delivery.js';
import type { DeliverVerdict } from './contract.js';

export interface HttpVerdictDeliveryOptions {
  /**
   * The full URL of our endpoint, such as `http://127.0.0.1:4000/internal/moderation/verdicts`.
   * A function is called at each delivery, for an API server that gets its port later.
   */
  url: string | (() => string);
  /** Shared with the endpoint (MODERATION_VERDICT_SECRET). */
  secret: string;
  /** Time limit of one POST in milliseconds. Default: 5000. */
  timeoutMs?: number;
}

/**
 * Deliver verdicts as signed JSON POSTs to our verdict endpoint, the path used when no Kafka
 * broker is configured. One call is one attempt: it throws DeliveryError unless the endpoint
 * answers 2xx, and the moderation sandbox retries.
 */
export function createHttpVerdictDelivery(options: HttpVerdictDeliveryOptions): DeliverVerdict {
  return async (verdict) => {
    const url = typeof options.url === 'function' ? options.url() : options.url;
    await postSignedJson({ url, secret: options.secret, body: verdict, timeoutMs: options.timeoutMs });
  };
}
