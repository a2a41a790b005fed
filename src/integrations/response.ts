import type { z } from 'zod';
import { PartnerError, type PartnerHttpClientOptions, type PartnerResponse } from './http.js';

/** Options of a partner client besides its name: the base URL, timeouts, retries, logger, metrics hook. */
export type PartnerClientOptions = Omit<PartnerHttpClientOptions, 'partner'>;

/**
 * Parse a partner's JSON response against the contract. A body that breaks the contract becomes a
 * PartnerError of kind `invalid_response` naming the first wrong field, so a job fails with a
 * clear cause instead of storing half a record.
 */
export function parseResponse<Schema extends z.ZodType>(
  response: PartnerResponse,
  schema: Schema,
  partner: string,
  operation: string,
): z.infer<Schema> {
  const parsed = schema.safeParse(response.json());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new PartnerError(partner, 'invalid_response', `${partner} ${operation} returned an invalid ${field}: ${issue.message}.`, response.status);
  }
  return parsed.data;
}
