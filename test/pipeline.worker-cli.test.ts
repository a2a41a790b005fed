import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from './support/pipeline-harness.js';
import { insertTestApplication } from './support/pipeline.js';

// The tasks under src/tasks load in graphile-worker's own CLI, with graphile.config.ts.

let harness: PipelineHarness;
const projectRoot = path.resolve(import.meta.dirname, '..');

beforeAll(async () => {
  // The moderation sandbox delays its verdict past the end of the test, because a verdict that arrived while
  // `--once` was still draining the queue would let the CLI apply it too.
  harness = await startPipelineHarness({ moderation: { verdictDelayMs: 10 * 60_000 } });
});

afterAll(async () => {
  await harness?.close();
});

describe('graphile-worker CLI', () => {
  it('runs a pipeline stage', async () => {
    const created = await insertTestApplication(harness.db);

    const exitCode = await new Promise<number | null>((resolve) => {
      const cli = spawn(process.execPath, ['--import', 'tsx', 'node_modules/graphile-worker/dist/cli.js', '--once'], {
        cwd: projectRoot,
        env: { ...process.env, ...harness.env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      cli.once('exit', resolve);
    });

    expect(exitCode).toBe(0);
    expect(harness.moderation.cases.has(created.id.toString())).toBe(true);
    const application = await harness.db.prisma.auctionApplication.findUniqueOrThrow({ where: { id: created.id } });
    expect(application.moderationStatus).toBe('PENDING');
    expect(application.waitingData).toEqual(['MODERATION']);
  }, 60_000);
});
