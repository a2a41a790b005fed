import { z } from 'zod';
import { PartnerHttpClient } from '../http.js';
import { parseResponse, type PartnerClientOptions } from '../response.js';
import type { ModerationAcknowledgement, ModerationClient, ModerationSubmission } from './contract.js';

const acknowledgementSchema = z.object({ ticketId: z.string().min(1) });

/**
 * Moderation over HTTP: `POST /v1/cases` files the application and returns a ticket. Filing the
 * same application again returns the same ticket, so a retried job does not open a second case.
 */
export class HttpModerationClient implements ModerationClient {
  private readonly http: PartnerHttpClient;

  constructor(options: PartnerClientOptions) {
    this.http = new PartnerHttpClient({ ...options, partner: 'moderation' });
  }

  async submit(submission: ModerationSubmission): Promise<ModerationAcknowledgement> {
    const response = await this.http.request({ operation: 'submit', method: 'POST', path: '/v1/cases', json: submission });
    return parseResponse(response, acknowledgementSchema, 'moderation', 'submit');
  }
}
