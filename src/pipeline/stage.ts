import type { JobHelpers, Task } from 'graphile-worker';
import type { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { PartnerError } from '../integrations/http.js';
import type { Logger } from '../logger.js';
import { registerWorkerLiveness } from './worker-liveness.js';

/**
 * A pipeline stage: a graphile-worker task whose payload is validated and whose dependencies
 * come from a ServiceContext. The service builds its tasks with `stage.task(ctx)`. The
 * graphile-worker CLI loads the default export of each src/tasks file, `stage.cliTask`, which
 * builds the context from the environment on its first job.
 */

export interface StageJob<Payload> {
  ctx: ServiceContext;
  payload: Payload;
  /** Scoped to the job: job id, task, attempt and, when the payload has one, application id. */
  logger: Logger;
  helpers: JobHelpers;
}

export interface StageDefinition<Schema extends z.ZodType> {
  identifier: string;
  payload: Schema;
  run(job: StageJob<z.infer<Schema>>): Promise<void>;
}

export interface Stage {
  identifier: string;
  /** The task with its context injected, for the service's task list. */
  task(ctx: ServiceContext): Task;
  /** The task for the graphile-worker CLI, which builds its context lazily. */
  cliTask: Task;
}

export function defineStage<Schema extends z.ZodType>(definition: StageDefinition<Schema>): Stage {
  const task = (ctx: ServiceContext): Task => (rawPayload, helpers) => runStage(ctx, definition, rawPayload, helpers);
  return {
    identifier: definition.identifier,
    task,
    cliTask: async (rawPayload, helpers) => {
      // Imported on first use, so the service's own task list never loads the CLI's context.
      const { loadCliContext } = await import('./cli-context.js');
      return runStage(await loadCliContext(), definition, rawPayload, helpers);
    },
  };
}

/**
 * Run one job of a stage with the pipeline's error policy:
 * - a payload that breaks the schema is logged and dropped, because retrying cannot fix it,
 *   and the sweep re-enqueues the application's stage if it stalls;
 * - a transient partner error (timeout, connection failure, 429, 5xx) is thrown, so that
 *   graphile-worker retries the job with exponential backoff and logs the failed attempt;
 * - a permanent partner error (4xx, a body that breaks the contract) is logged and the job ends.
 *   The application stays in its stage until the sweep re-enqueues it after STUCK_AFTER_MINUTES
 *   and counts it as stuck, which is what an operator watches;
 * - any other error is thrown and retried, because it is ours or the database's.
 */
async function runStage<Schema extends z.ZodType>(
  ctx: ServiceContext,
  definition: StageDefinition<Schema>,
  rawPayload: unknown,
  helpers: JobHelpers,
): Promise<void> {
  const { job } = helpers;
  if (job.locked_by) {
    await registerWorkerLiveness(ctx.db.pool, job.locked_by, ctx.logger);
  }

  const parsed = definition.payload.safeParse(rawPayload);
  const applicationId = (parsed.success ? (parsed.data as { applicationId?: string }).applicationId : undefined) ?? undefined;
  const logger = ctx.logger.child({ jobId: job.id, task: definition.identifier, attempt: job.attempts, ...(applicationId ? { applicationId } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    logger.error(
      { payload: rawPayload, issue },
      `Job ${job.id} (${definition.identifier}) was dropped because its payload is invalid at ${issue.path.join('.') || 'payload'}: ${issue.message}.`,
    );
    return;
  }

  const started = performance.now();
  const observe = (outcome: 'ok' | 'error') => ctx.metrics?.observeStage(definition.identifier, (performance.now() - started) / 1000, outcome);
  try {
    await definition.run({ ctx, payload: parsed.data, logger, helpers });
    observe('ok');
  } catch (error) {
    observe('error');
    if (error instanceof PartnerError && !error.transient) {
      logger.error(
        { err: error, partner: error.partner, kind: error.kind, status: error.status },
        `Job ${job.id} (${definition.identifier}) stopped on a permanent ${error.partner} error (${error.kind}); the sweep will retry the stage later: ${error.message}`,
      );
      return;
    }
    // graphile-worker logs the failed attempt, through createGraphileLogger, so one line per failure.
    throw error;
  }
}
