import { z } from 'zod';
import type { Transaction } from '../db/prisma.js';
import { addJobInTransaction, applicationQueue, type AddJobOptions } from '../jobs/add-job.js';

/**
 * The pipeline's graphile-worker task identifiers and job payloads. Each identifier is also the
 * file name of its task under src/tasks, which is how the graphile-worker CLI names tasks.
 */
export const TASK = {
  sendToModeration: 'send_to_moderation',
  applyModerationVerdict: 'apply_moderation_verdict',
  requestEnrichment: 'request_enrichment',
  storeCmeReport: 'store_cme_report',
  pollCarfax: 'poll_carfax',
  handOffLot: 'hand_off_lot',
  sweepStuck: 'sweep_stuck',
  pruneRecords: 'prune_records',
} as const;

export type TaskIdentifier = (typeof TASK)[keyof typeof TASK];

/** The largest application id PostgreSQL's BIGSERIAL can hold. */
const MAX_APPLICATION_ID = 9223372036854775807n;

/** An application id as it travels in payloads and messages: a decimal string. */
export const applicationIdSchema = z
  .string({ error: 'expected the application id as a string of digits' })
  .regex(/^[1-9]\d{0,18}$/, 'expected the application id as a string of digits, such as "42"')
  .refine((value) => BigInt(value) <= MAX_APPLICATION_ID, 'expected an application id within the BIGINT range');

export const applicationJobSchema = z.object({ applicationId: applicationIdSchema });
export type ApplicationJob = z.infer<typeof applicationJobSchema>;

export const verdictJobSchema = applicationJobSchema.extend({
  verdictId: z.string().min(1),
  verdict: z.enum(['OK', 'FAILED']),
  reason: z.string().optional(),
});
export type VerdictJob = z.infer<typeof verdictJobSchema>;

export const cmeEventJobSchema = applicationJobSchema.extend({
  eventId: z.string().min(1),
  /** A CME webhook type, or `recheck` from the sweep: fetch every report still missing. */
  type: z.enum(['evaluation.done', 'inspection.done', 'status.changed', 'recheck']),
  evaluationId: z.number().int().positive(),
  status: z.string().optional(),
});
export type CmeEventJob = z.infer<typeof cmeEventJobSchema>;

/** A per-application CARFAX poll; the crontab's run has no application id and scans them all. */
export const pollCarfaxJobSchema = z.object({ applicationId: applicationIdSchema.optional() }).loose();

export const sendToModerationJobSchema = applicationJobSchema.extend({
  /** Submit again although moderation already acknowledged, because no verdict came in time. */
  resubmit: z.boolean().optional(),
});
export type SendToModerationJob = z.infer<typeof sendToModerationJobSchema>;

/**
 * Enqueue a stage of one application in the caller's transaction, on the application's serial
 * queue, so the job exists only if the change that requests it commits and runs after the jobs
 * queued before it.
 */
export async function enqueueStage(
  tx: Transaction,
  task: TaskIdentifier,
  payload: ApplicationJob & Record<string, unknown>,
  options: Omit<AddJobOptions, 'queueName'> = {},
): Promise<void> {
  await addJobInTransaction(tx, task, payload, { ...options, queueName: applicationQueue(payload.applicationId) });
}
