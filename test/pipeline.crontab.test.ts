import fs from 'node:fs';
import path from 'node:path';
import { parseCrontab } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { pipelineCrontab } from '../src/pipeline/crontab.js';

describe('pipelineCrontab', () => {
  it('matches the CLI crontab file', () => {
    const file = fs.readFileSync(path.join(import.meta.dirname, '..', 'crontab'), 'utf8');
    const lines = file.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));

    expect(lines.join('\n')).toBe(pipelineCrontab(loadConfig({})));
  });

  it('polls CARFAX every configured minutes', () => {
    const crontab = pipelineCrontab({ CARFAX_POLL_MINUTES: 2, STUCK_AFTER_MINUTES: 30 });

    expect(crontab).toContain('*/2 * * * * poll_carfax');
    expect(parseCrontab(crontab)).toHaveLength(3);
  });

  it('prunes old records once a day', () => {
    const crontab = pipelineCrontab({ CARFAX_POLL_MINUTES: 5, STUCK_AFTER_MINUTES: 30 });

    expect(crontab.split('\n')[2]).toBe('17 3 * * * prune_records ?max=3&jobKey=prune_records');
  });

  it.each([
    [1, '*/1 '],
    [30, '*/15 '],
    [600, '*/30 '],
  ])('sweeps for a %i minute deadline', (stuckAfterMinutes, schedule) => {
    const crontab = pipelineCrontab({ CARFAX_POLL_MINUTES: 5, STUCK_AFTER_MINUTES: stuckAfterMinutes });

    expect(crontab.split('\n')[1]!.startsWith(`${schedule}* * * * sweep_stuck`)).toBe(true);
  });
});
