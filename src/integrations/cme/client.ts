import { z } from 'zod';
import { PartnerError, PartnerHttpClient } from '../http.js';
import { parseResponse, type PartnerClientOptions } from '../response.js';
import type { CmeClient, CmeDocument, CmeDocumentType, CmeEvaluationDraft } from './contract.js';

/** CME does not know the evaluation id. */
export class CmeEvaluationNotFoundError extends PartnerError {
  override name = 'CmeEvaluationNotFoundError';

  constructor(readonly evaluationId: number) {
    super('cme', 'rejected', `CME has no evaluation ${evaluationId}.`, 404);
  }
}

/**
 * CME has not finished the document yet. It counts as transient, so a job that fetched too early
 * retries later instead of failing the application.
 */
export class CmeDocumentNotReadyError extends PartnerError {
  override name = 'CmeDocumentNotReadyError';

  constructor(
    readonly evaluationId: number,
    readonly document: CmeDocumentType,
  ) {
    super('cme', 'unavailable', `CME has not finished the ${document} document of evaluation ${evaluationId} yet.`, 409);
  }
}

const draftAnswerSchema = z.object({ evaluationId: z.number().int().positive() });

/**
 * CME over HTTP: `POST /v1/evaluations` creates a draft (a second one for the same application
 * returns the first draft's id), and `GET /v1/evaluations/{id}/documents/{document}` downloads a
 * finished document with its content type.
 */
export class HttpCmeClient implements CmeClient {
  private readonly http: PartnerHttpClient;

  constructor(options: PartnerClientOptions) {
    this.http = new PartnerHttpClient({ ...options, partner: 'cme' });
  }

  async createEvaluationDraft(draft: CmeEvaluationDraft): Promise<{ evaluationId: number }> {
    const response = await this.http.request({ operation: 'create_evaluation_draft', method: 'POST', path: '/v1/evaluations', json: draft });
    const { evaluationId } = parseResponse(response, draftAnswerSchema, 'cme', 'create_evaluation_draft');
    return { evaluationId };
  }

  /** Throws CmeEvaluationNotFoundError or CmeDocumentNotReadyError besides the usual PartnerError. */
  async fetchDocument(evaluationId: number, document: CmeDocumentType): Promise<CmeDocument> {
    const response = await this.http.request({
      operation: `fetch_${document}_document`,
      path: `/v1/evaluations/${evaluationId}/documents/${document}`,
      headers: { accept: '*/*' },
      acceptStatuses: [404, 409],
    });
    if (response.status === 404) {
      throw new CmeEvaluationNotFoundError(evaluationId);
    }
    if (response.status === 409) {
      throw new CmeDocumentNotReadyError(evaluationId, document);
    }
    const contentType = response.headers.get('content-type');
    if (!contentType) {
      throw new PartnerError('cme', 'invalid_response', `CME sent the ${document} document of evaluation ${evaluationId} without a content type.`, response.status);
    }
    return { body: response.body, contentType };
  }
}
