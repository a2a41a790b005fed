import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A Node.js child process run by the benchmarks: the service's API or worker, a bare server, or
 * a bare worker. Each measured server runs in a process of its own, so that its CPU and memory
 * are its own and the load generator in the parent does not share its event loop.
 */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  /** The file that receives the child's standard output and error. */
  readonly logFile: string;
  /** Send a message over the IPC channel and wait for the reply of the same `type`. */
  request<T>(message: { type: string; [key: string]: unknown }, timeoutMs?: number): Promise<T>;
  /** Wait for the next message of a `type` from the child. Call it before the action that causes the message. */
  waitFor<T>(type: string, timeoutMs?: number): Promise<T>;
  /** The fields of the child's `ready` message, such as the URL it listens on; empty without one. */
  readonly readyMessage: Record<string, unknown>;
  /** The peak resident set size so far (VmHWM), in bytes; undefined where /proc is missing. */
  peakRss(): number | undefined;
  /** Stop with SIGTERM, so the child drains; SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** A TypeScript or JavaScript entry file, run with tsx. */
  script: string;
  env: NodeJS.ProcessEnv;
  /**
   * How to tell that the child is ready: an IPC message `{ type: 'ready' }`, a URL that responds
   * with a 2xx status, or only that it is still running after some milliseconds.
   */
  ready: { message: true } | { url: string } | { afterMs: number };
  /** Give up waiting for readiness after this many milliseconds. Default: 60,000. */
  readyTimeoutMs?: number;
}

const logDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-bench-logs-'));

/** Start a child, wait until it is ready, and return a handle. Rejects with the log's tail when it exits early. */
export async function startProcess(options: StartOptions): Promise<BenchProcess> {
  const logFile = path.join(logDirectory, `${options.name}-${Date.now()}.log`);
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', options.script], {
    env: options.env,
    stdio: ['ignore', log, log, 'ipc'],
  });
  fs.closeSync(log);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });

  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const failed = (reason: string) => new Error(`${options.name} (pid ${child.pid}) ${reason}. Last lines of ${logFile}:\n${tail(logFile)}`);

  let readyMessage: Record<string, unknown> = {};
  if ('message' in options.ready) {
    readyMessage = await Promise.race([
      waitForMessage<Record<string, unknown>>(child, 'ready'),
      exited.then((code) => Promise.reject(failed(`exited with code ${code} before it was ready`))),
      sleep(readyTimeoutMs, undefined, { ref: false }).then(() => Promise.reject(failed(`was not ready after ${readyTimeoutMs} ms`))),
    ]);
  } else if ('afterMs' in options.ready) {
    await sleep(options.ready.afterMs);
    if (exitCode !== undefined) {
      throw failed(`exited with code ${exitCode} at start`);
    }
  } else {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exitCode !== undefined) {
        throw failed(`exited with code ${exitCode} before it was ready`);
      }
      if (await respondsOk(options.ready.url)) {
        break;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw failed(`did not respond with a 2xx status at ${options.ready.url} within ${readyTimeoutMs} ms`);
      }
      await sleep(100);
    }
  }

  const handle: BenchProcess = {
    name: options.name,
    pid: child.pid!,
    logFile,
    readyMessage,
    request<T>(message: { type: string; [key: string]: unknown }, timeoutMs = 600_000): Promise<T> {
      const reply = handle.waitFor<T>(message.type, timeoutMs);
      if (exitCode === undefined) {
        child.send(message);
      }
      return reply;
    },
    async waitFor<T>(type: string, timeoutMs = 600_000): Promise<T> {
      if (exitCode !== undefined) {
        throw failed(`has exited with code ${exitCode}`);
      }
      const answer = await Promise.race([
        waitForMessage<T & { error?: string }>(child, type),
        exited.then((code) => Promise.reject(failed(`exited with code ${code} while the benchmark waited for ${type}`))),
        sleep(timeoutMs, undefined, { ref: false }).then(() => Promise.reject(failed(`did not send ${type} within ${timeoutMs} ms`))),
      ]);
      if (answer.error) {
        throw failed(`failed ${type}: ${answer.error}`);
      }
      return answer;
    },
    peakRss: () => readPeakRss(child.pid!),
    async stop(timeoutMs = 15_000): Promise<void> {
      if (exitCode !== undefined) {
        return;
      }
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(timeoutMs, undefined, { ref: false }).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  return handle;
}

/** VmHWM of a process from /proc, in bytes: the peak resident memory since it started. */
export function readPeakRss(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function waitForMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type) {
        child.off('message', listener);
        resolve(message as T);
      }
    };
    child.on('message', listener);
  });
}

async function respondsOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}
