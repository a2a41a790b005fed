import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';

/**
 * The delayed work of a sandbox, such as a verdict or a webhook sent some time after a request.
 * Tests wait for it with `settled()`, and closing the sandbox aborts whatever is still waiting.
 */
export class BackgroundTasks {
  private readonly controller = new AbortController();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly name: string,
    private readonly logger?: Logger,
  ) {}

  /** Aborted when the owner closes; pass it to retries so they stop too. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Run `task` after `delayMs` milliseconds, unless the owner closes first. */
  schedule(delayMs: number, description: string, task: () => Promise<void>): void {
    const run = (async () => {
      try {
        await sleep(delayMs, undefined, { signal: this.signal });
        await task();
      } catch (error) {
        if (!this.signal.aborted) {
          this.logger?.error({ err: error }, `Sandbox ${this.name} failed to run ${description}.`);
        }
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolve once no task is waiting or running, including tasks scheduled meanwhile. */
  async settled(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all(this.running);
    }
  }

  /** Abort every waiting task and wait for the running ones to stop. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.settled();
  }
}
