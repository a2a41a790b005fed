import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One JSON log line of a service process. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** The service (`src/main.ts`) running as a child process, as `npm run api` or `npm run worker` starts it. */
export interface ServiceProcess {
  role: 'all' | 'api' | 'worker';
  child: ChildProcess;
  /** Such as `http://127.0.0.1:41234`; empty for a worker. */
  url: string;
  logs: LogLine[];
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** Send a signal; SIGTERM starts a graceful shutdown. */
  signal(signal: NodeJS.Signals): void;
  /** Stop with SIGTERM and wait for the exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | string>;
}

/**
 * Start `src/main.ts` with a role and settings, and wait until it logs that it started. The
 * process binds port 0 on 127.0.0.1, and its URL is read from its log.
 */
export async function startServiceProcess(role: ServiceProcess['role'], env: Record<string, string>, options: { startTimeoutMs?: number } = {}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    // The start and the URL are read from info lines, so the level is never above info.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', ...env, LOG_LEVEL: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'info', PROCESS_ROLE: role },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: 30, msg: line });
    }
  });
  readline.createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));

  const started = await waitFor(
    () => logs.find((line) => line.msg.startsWith('The service started')),
    exited,
    options.startTimeoutMs ?? 60_000,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`The ${role} process did not start: ${error.message}\nstderr: ${stderr.join('\n')}\nlog: ${logs.map((line) => line.msg).join('\n')}`);
  });
  void started;

  const served = logs.find((line) => line.msg.startsWith('The API serves GraphQL at '));
  const url = served ? served.msg.replace('The API serves GraphQL at ', '').replace(/\/graphql\.?$/, '') : '';

  return {
    role,
    child,
    url,
    logs,
    exited,
    signal: (signal) => {
      child.kill(signal);
    },
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) {
        return exited;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Resolve with the first truthy value of `probe`, polling; reject if `exited` settles first or time runs out. */
async function waitFor<T>(probe: () => T | undefined, exited: Promise<number | string>, timeoutMs: number): Promise<T> {
  let exitCode: number | string | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) {
      return value;
    }
    if (exitCode !== undefined) {
      throw new Error(`it exited with ${exitCode}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`it logged no start within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Send a GraphQL request over HTTP and return the `data`; fails on transport or GraphQL errors. */
export async function graphqlRequest<Data = any>(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<Data> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Data; errors?: unknown };
  if (!response.ok || body.errors || !body.data) {
    throw new Error(`GraphQL request to ${url} failed with HTTP ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.data;
}
