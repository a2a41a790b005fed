import { z } from 'zod';
import { PartnerError, PartnerHttpClient } from '../http.js';
import { parseResponse, type PartnerClientOptions } from '../response.js';
import type { CarfaxClient, CarfaxOrder, CarfaxReport } from './contract.js';

/** CARFAX does not know the request id: it was never issued, or the report has expired. */
export class CarfaxReportNotFoundError extends PartnerError {
  override name = 'CarfaxReportNotFoundError';

  constructor(readonly requestId: string) {
    super('carfax', 'rejected', `CARFAX has no report request ${requestId}; order the report again.`, 404);
  }
}

const reportSchema = z.object({
  requestId: z.string().min(1),
  vin: z.string().min(1),
  blocks: z.record(z.string(), z.unknown()),
});

const orderSchema = z.object({
  requestId: z.string().min(1),
  report: reportSchema.optional(),
});

/**
 * CARFAX over HTTP. `POST /v1/reports` orders a ProAuto report by VIN and returns the request
 * id, with the report itself when CARFAX has it at once. `GET /v1/reports/{requestId}` returns
 * the report as filled so far.
 */
export class HttpCarfaxClient implements CarfaxClient {
  private readonly http: PartnerHttpClient;

  constructor(options: PartnerClientOptions) {
    this.http = new PartnerHttpClient({ ...options, partner: 'carfax' });
  }

  async orderReport(order: { vin: string; applicationId: string }): Promise<CarfaxOrder> {
    const response = await this.http.request({
      operation: 'order_report',
      method: 'POST',
      path: '/v1/reports',
      json: { vin: order.vin, reference: order.applicationId },
    });
    const parsed = parseResponse(response, orderSchema, 'carfax', 'order_report');
    return parsed.report ? { requestId: parsed.requestId, report: parsed.report } : { requestId: parsed.requestId };
  }

  /** Throws CarfaxReportNotFoundError for an unknown request id. */
  async getReport(requestId: string): Promise<CarfaxReport> {
    const response = await this.http.request({
      operation: 'get_report',
      path: `/v1/reports/${encodeURIComponent(requestId)}`,
      acceptStatuses: [404],
    });
    if (response.status === 404) {
      throw new CarfaxReportNotFoundError(requestId);
    }
    return parseResponse(response, reportSchema, 'carfax', 'get_report');
  }
}
