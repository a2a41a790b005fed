import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const embeddedModule = path.resolve(import.meta.dirname, '..', 'src', 'db', 'embedded.ts');

/** Run a script in a child Node process with tsx, and return its exit code. */
async function exitCodeOf(script: string): Promise<number> {
  try {
    await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
    return 0;
  } catch (error) {
    return (error as { code: number }).code;
  }
}

describe('importWithoutSignalHandlers', () => {
  it('keeps a failing exit code', async () => {
    const script = `
      const { importWithoutSignalHandlers } = await import(${JSON.stringify(embeddedModule)});
      await importWithoutSignalHandlers();
      process.exitCode = 3;`;

    expect(await exitCodeOf(script)).toBe(3);
  });

  it('leaves SIGTERM to the service', async () => {
    const script = `
      const { importWithoutSignalHandlers } = await import(${JSON.stringify(embeddedModule)});
      await importWithoutSignalHandlers();
      process.on('SIGTERM', () => { process.exitCode = 4; });
      process.kill(process.pid, 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));`;

    expect(await exitCodeOf(script)).toBe(4);
  });
});
