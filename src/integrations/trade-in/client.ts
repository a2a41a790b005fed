import { z } from 'zod';
import { PartnerHttpClient } from '../http.js';
import { parseResponse, type PartnerClientOptions } from '../response.js';
import type { TradeInClient, TradeInEligibilityAnswer, TradeInEligibilityRequest } from './contract.js';

const answerSchema = z.object({ eligible: z.boolean(), reason: z.string().optional() });

/**
 * The trade-in service over HTTP: `POST /v1/eligibility` with the offer returns
 * `{ eligible, reason? }`. The call only reads, so retrying it after a timeout is safe.
 */
export class HttpTradeInClient implements TradeInClient {
  private readonly http: PartnerHttpClient;

  constructor(options: PartnerClientOptions) {
    this.http = new PartnerHttpClient({ ...options, partner: 'trade-in' });
  }

  async checkEligibility(request: TradeInEligibilityRequest): Promise<TradeInEligibilityAnswer> {
    const response = await this.http.request({ operation: 'check_eligibility', method: 'POST', path: '/v1/eligibility', json: request });
    const answer = parseResponse(response, answerSchema, 'trade-in', 'check_eligibility');
    return answer.reason === undefined ? { eligible: answer.eligible } : { eligible: answer.eligible, reason: answer.reason };
  }
}
