import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../db/prisma.js';
import type { ModerationVerdict } from '../integrations/moderation/contract.js';
import type { Logger } from '../logger.js';
import { applicationIdSchema, enqueueStage, TASK } from './jobs.js';

/**
 * The one entry point for moderation verdicts, fed by the Kafka consumer when a broker is
 * configured and by the signed HTTP endpoint when it is not. A verdict is recorded once per
 * verdict id, and its apply job is enqueued in the same transaction, so `accepted` and
 * `duplicate` both mean the verdict is safely committed and the caller may acknowledge it.
 */

export type VerdictIntakeResult =
  | { outcome: 'accepted'; applicationId: string }
  | { outcome: 'duplicate'; applicationId: string }
  | { outcome: 'invalid'; reason: string }
  | { outcome: 'unknown_application'; applicationId: string };

export const VERDICT_SCOPE = 'moderation-verdict';

export const moderationVerdictSchema = z.object({
  verdictId: z.string({ error: 'expected verdictId as a string' }).trim().min(1, 'expected a non-empty verdictId').max(256, 'expected verdictId of at most 256 characters'),
  applicationId: applicationIdSchema,
  verdict: z.enum(['OK', 'FAILED'], { error: 'expected verdict OK or FAILED' }),
  reason: z.string({ error: 'expected reason as a string' }).max(2000, 'expected reason of at most 2000 characters').optional(),
  decidedAt: z.iso.datetime({ offset: true, error: 'expected decidedAt as an ISO 8601 date-time, such as 2026-12-04T10:00:00Z' }),
}) satisfies z.ZodType<ModerationVerdict>;

/**
 * Validate a verdict, record it once and enqueue `apply_moderation_verdict` on the application's
 * queue. `message` may be the parsed JSON object or its raw bytes or text.
 */
export async function acceptModerationVerdict(deps: { db: Database; logger: Logger }, message: unknown): Promise<VerdictIntakeResult> {
  const parsed = parseVerdict(message);
  if (!parsed.success) {
    deps.logger.warn({ reason: parsed.reason }, `A moderation verdict was rejected as invalid: ${parsed.reason}`);
    return { outcome: 'invalid', reason: parsed.reason };
  }

  const verdict = parsed.verdict;
  const applicationId = verdict.applicationId;
  const logger = deps.logger.child({ applicationId, verdictId: verdict.verdictId });
  const requestHash = hashVerdict(verdict);

  const result = await deps.db.prisma.$transaction(async (tx): Promise<VerdictIntakeResult> => {
    // Raw, because a Prisma model query costs about a millisecond of CPU on every verdict.
    const [application] = await tx.$queryRaw<{ id: bigint }[]>`SELECT application_id AS id FROM auction_applications WHERE application_id = ${BigInt(applicationId)}`;
    if (!application) {
      return { outcome: 'unknown_application', applicationId };
    }

    const inserted = await tx.$executeRaw`
      INSERT INTO idempotency_records (scope, key, request_hash, response)
      VALUES (${VERDICT_SCOPE}, ${verdict.verdictId}, ${requestHash}, ${JSON.stringify(verdict)}::jsonb)
      ON CONFLICT (scope, key) DO NOTHING`;
    if (inserted === 0) {
      const existing = await tx.idempotencyRecord.findUnique({ where: { scope_key: { scope: VERDICT_SCOPE, key: verdict.verdictId } } });
      if (existing?.requestHash !== requestHash) {
        return { outcome: 'invalid', reason: `verdict ${verdict.verdictId} was already received with different content; a verdict id must not be reused` };
      }
      return { outcome: 'duplicate', applicationId };
    }

    await enqueueStage(tx, TASK.applyModerationVerdict, {
      applicationId,
      verdictId: verdict.verdictId,
      verdict: verdict.verdict,
      ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
    });
    return { outcome: 'accepted', applicationId };
  });

  switch (result.outcome) {
    case 'accepted':
      logger.info(`Moderation verdict ${verdict.verdictId} (${verdict.verdict}) for application ${applicationId} was accepted and queued.`);
      break;
    case 'duplicate':
      logger.info(`Moderation verdict ${verdict.verdictId} for application ${applicationId} was already received; the repeat is ignored.`);
      break;
    case 'unknown_application':
      logger.warn(`Moderation verdict ${verdict.verdictId} names application ${applicationId}, which does not exist; nothing was recorded.`);
      break;
    case 'invalid':
      logger.warn({ reason: result.reason }, `A moderation verdict was rejected as invalid: ${result.reason}`);
      break;
  }
  return result;
}

type ParsedVerdict = { success: true; verdict: ModerationVerdict } | { success: false; reason: string };

function parseVerdict(message: unknown): ParsedVerdict {
  let value = message;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : new TextDecoder().decode(value);
    try {
      value = JSON.parse(text);
    } catch {
      return { success: false, reason: 'the message is not valid JSON; expected a JSON object with verdictId, applicationId, verdict and decidedAt' };
    }
  }

  const parsed = moderationVerdictSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'message';
    return { success: false, reason: `${field} is invalid: ${issue.message}` };
  }
  return { success: true, verdict: parsed.data };
}

/** Hash the meaning of a verdict, so that a repeat with the same id but other content is caught. */
function hashVerdict(verdict: ModerationVerdict): string {
  const canonical = JSON.stringify([verdict.verdictId, verdict.applicationId, verdict.verdict, verdict.reason ?? null, new Date(verdict.decidedAt).toISOString()]);
  return createHash('sha256').update(canonical).digest('hex');
}
