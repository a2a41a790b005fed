import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Database } from '../db/prisma.js';
import { CME_WEBHOOK_PATH, cmeWebhookEventSchema, type CmeWebhookEvent } from '../integrations/cme/contract.js';
import { MODERATION_VERDICT_PATH } from '../integrations/moderation/contract.js';
import { verifySignature, type SignatureCheck, SIGNATURE_HEADER, SIGNATURE_TIMESTAMP_HEADER } from '../integrations/signature.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { enqueueStage, TASK } from '../pipeline/jobs.js';
import { acceptModerationVerdict } from '../pipeline/verdict-intake.js';
import { requestIdOf } from './use-request-id.js';

export interface WebhooksPluginOptions {
  db: Database;
  logger: Logger;
  config: Pick<Config, 'CME_WEBHOOK_SECRET' | 'CME_WEBHOOK_TOLERANCE_SECONDS' | 'MODERATION_VERDICT_SECRET'>;
  /** The largest body accepted, in bytes. Default: 65536. */
  maxBodyBytes?: number;
  /** Counts rejected requests by source and reason. Default: none. */
  metrics?: Pick<Metrics, 'countWebhookRejection'>;
}

/** The idempotency scope of CME webhooks, keyed by CME's event id. */
export const CME_WEBHOOK_SCOPE = 'cme-webhook';

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const ROUTES = new Map<string, 'cme' | 'verdict'>([
  [CME_WEBHOOK_PATH, 'cme'],
  [MODERATION_VERDICT_PATH, 'verdict'],
]);

type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

/**
 * Serve the partners' signed callbacks beside GraphQL:
 * - `POST /webhooks/cme`: CME's webhooks, acknowledged with 202 once a `store_cme_report` job is queued in
 *   the same transaction as the event's idempotency record, and 200 for a repeat of an event id;
 * - `POST /internal/moderation/verdicts`: moderation verdicts, the path used without Kafka,
 *   handed to `acceptModerationVerdict`.
 *
 * Both check an HMAC-SHA256 signature over `${timestamp}.${rawBody}` before reading the body.
 * A bad or missing signature and a stale timestamp get 401, a malformed body 400, an unknown
 * application or evaluation 404; none of them changes anything.
 */
export function useWebhooks(options: WebhooksPluginOptions): Plugin {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logger = options.logger.child({ component: 'webhooks' });

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const route = ROUTES.get(url.pathname);
      if (!route) {
        return;
      }

      let reply: Reply;
      if (request.method !== 'POST') {
        reply = { status: 405, headers: { allow: 'POST' }, body: { error: 'method_not_allowed', message: `${url.pathname} accepts POST only.` } };
      } else {
        const rawBody = await readBody(request, maxBodyBytes);
        if (!rawBody) {
          reply = { status: 413, body: { error: 'body_too_large', message: `The body exceeds ${maxBodyBytes} bytes.` } };
        } else {
          // Yoga's Headers come from its fetch ponyfill, which verifySignature does not recognise
          // as Headers, so they are copied into the global class.
          const headers = new Headers([...request.headers]);
          const requestLogger = logger.child({ requestId: requestIdOf(request) });
          try {
            reply = route === 'cme' ? await handleCmeWebhook(options, requestLogger, headers, rawBody) : await handleVerdict(options, requestLogger, headers, rawBody);
          } catch (error) {
            // Both handlers are idempotent, so a partner that delivers again after 503 is safe.
            requestLogger.error({ err: error }, `A ${route === 'cme' ? 'CME webhook' : 'moderation verdict'} could not be processed, so the response is 503: ${(error as Error).message}`);
            reply = { status: 503, headers: { 'retry-after': '5' }, body: { error: 'temporarily_unavailable', message: 'The service could not process the request; deliver it again later.' } };
          }
        }
      }

      if (reply.status >= 400) {
        options.metrics?.countWebhookRejection(route === 'cme' ? 'cme' : 'moderation', String(reply.body.error));
      }
      endResponse(new fetchAPI.Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json', ...reply.headers } }));
    },
  };
}

async function handleCmeWebhook(options: WebhooksPluginOptions, logger: Logger, headers: Headers, rawBody: Uint8Array): Promise<Reply> {
  const signature = verifySignature({ secret: options.config.CME_WEBHOOK_SECRET, rawBody, headers, toleranceSeconds: options.config.CME_WEBHOOK_TOLERANCE_SECONDS });
  if (signature !== 'ok') {
    logger.warn({ check: signature }, `A CME webhook was rejected: ${signatureProblem(signature, options.config.CME_WEBHOOK_TOLERANCE_SECONDS)}`);
    return unauthorized(signature, options.config.CME_WEBHOOK_TOLERANCE_SECONDS);
  }

  const parsed = parseJson(rawBody, (value) => cmeWebhookEventSchema.safeParse(value));
  if (!parsed.ok) {
    logger.warn({ reason: parsed.reason }, `A CME webhook was rejected as malformed: ${parsed.reason}`);
    return { status: 400, body: { error: 'invalid_body', message: parsed.reason } };
  }
  const event: CmeWebhookEvent = parsed.value;
  const requestHash = createHash('sha256').update(rawBody).digest('hex');

  const outcome = await options.db.prisma.$transaction(async (tx) => {
    // Raw, because a Prisma model query costs about a millisecond of CPU on every webhook.
    const [application] = await tx.$queryRaw<{ id: bigint }[]>`
      SELECT application_id AS id FROM auction_applications WHERE cme_evaluation_id = ${event.evaluationId} LIMIT 1`;
    if (!application) {
      return { kind: 'unknown' } as const;
    }

    const inserted = await tx.$executeRaw`
      INSERT INTO idempotency_records (scope, key, request_hash, response)
      VALUES (${CME_WEBHOOK_SCOPE}, ${event.eventId}, ${requestHash}, ${JSON.stringify({ applicationId: application.id.toString() })}::jsonb)
      ON CONFLICT (scope, key) DO NOTHING`;
    if (inserted === 0) {
      const existing = await tx.idempotencyRecord.findUnique({ where: { scope_key: { scope: CME_WEBHOOK_SCOPE, key: event.eventId } } });
      return { kind: existing?.requestHash === requestHash ? 'duplicate' : 'conflict', applicationId: application.id } as const;
    }

    await enqueueStage(tx, TASK.storeCmeReport, {
      applicationId: application.id.toString(),
      eventId: event.eventId,
      type: event.type,
      evaluationId: event.evaluationId,
      ...(event.status === undefined ? {} : { status: event.status }),
    });
    return { kind: 'accepted', applicationId: application.id } as const;
  });

  const fields = { eventId: event.eventId, type: event.type, evaluationId: event.evaluationId };
  switch (outcome.kind) {
    case 'unknown':
      logger.warn(fields, `CME webhook ${event.eventId} names evaluation ${event.evaluationId}, which no application has; nothing was recorded.`);
      return { status: 404, body: { error: 'unknown_evaluation', message: `No application has CME evaluation ${event.evaluationId}.` } };
    case 'conflict':
      logger.warn(fields, `CME webhook ${event.eventId} repeats an event id with a different body; it was rejected.`);
      return { status: 409, body: { error: 'event_id_reused', message: `Event ${event.eventId} was already received with a different body.` } };
    case 'duplicate':
      logger.info({ ...fields, applicationId: outcome.applicationId.toString() }, `CME webhook ${event.eventId} was already received; the repeat is ignored.`);
      return { status: 200, body: { status: 'duplicate', eventId: event.eventId } };
    case 'accepted':
      logger.info({ ...fields, applicationId: outcome.applicationId.toString() }, `CME webhook ${event.eventId} (${event.type}) for application ${outcome.applicationId} was queued.`);
      return { status: 202, body: { status: 'accepted', eventId: event.eventId } };
  }
}

async function handleVerdict(options: WebhooksPluginOptions, logger: Logger, headers: Headers, rawBody: Uint8Array): Promise<Reply> {
  const signature = verifySignature({ secret: options.config.MODERATION_VERDICT_SECRET, rawBody, headers, toleranceSeconds: options.config.CME_WEBHOOK_TOLERANCE_SECONDS });
  if (signature !== 'ok') {
    logger.warn({ check: signature }, `A moderation verdict was rejected: ${signatureProblem(signature, options.config.CME_WEBHOOK_TOLERANCE_SECONDS)}`);
    return unauthorized(signature, options.config.CME_WEBHOOK_TOLERANCE_SECONDS);
  }

  const result = await acceptModerationVerdict({ db: options.db, logger }, rawBody);
  switch (result.outcome) {
    case 'accepted':
      return { status: 202, body: { status: 'accepted', applicationId: result.applicationId } };
    case 'duplicate':
      return { status: 200, body: { status: 'duplicate', applicationId: result.applicationId } };
    case 'invalid':
      return { status: 400, body: { error: 'invalid_body', message: result.reason } };
    case 'unknown_application':
      return { status: 404, body: { error: 'unknown_application', message: `Application ${result.applicationId} does not exist.` } };
  }
}

function unauthorized(check: Exclude<SignatureCheck, 'ok'>, toleranceSeconds: number): Reply {
  return { status: 401, body: { error: check, message: signatureProblem(check, toleranceSeconds) } };
}

function signatureProblem(check: Exclude<SignatureCheck, 'ok'>, toleranceSeconds: number): string {
  switch (check) {
    case 'missing_headers':
      return `The ${SIGNATURE_HEADER} or ${SIGNATURE_TIMESTAMP_HEADER} header is missing or malformed; sign the request with HMAC-SHA256 over "<timestamp>.<body>".`;
    case 'stale_timestamp':
      return `The ${SIGNATURE_TIMESTAMP_HEADER} timestamp is more than ${toleranceSeconds} seconds away from our clock; sign the request again with the current time.`;
    case 'bad_signature':
      return `The ${SIGNATURE_HEADER} signature does not match the body and timestamp; check the shared secret.`;
  }
}

/** Read the whole body, or return undefined when it exceeds `maxBytes`. */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    return undefined;
  }
  const body = new Uint8Array(await request.arrayBuffer());
  return body.byteLength > maxBytes ? undefined : body;
}

function parseJson<T>(
  rawBody: Uint8Array,
  validate: (value: unknown) => { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
): { ok: true; value: T } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(rawBody));
  } catch {
    return { ok: false, reason: 'The body is not valid JSON.' };
  }
  const result = validate(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
    return { ok: false, reason: `${field} is invalid: ${issue.message}.` };
  }
  return { ok: true, value: result.data };
}
