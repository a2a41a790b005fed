import { describe, expect, it } from 'vitest';
import { canChangeApplicationStatus, canChangeStatus, isActive, statusPairProblem } from '../src/domain/statuses.js';

describe('statuses', () => {
  it('allows the forward path of the end-to-end status', () => {
    expect(canChangeStatus('NEW', 'WAITING_INSPECTION')).toBe(true);
    expect(canChangeStatus('WAITING_INSPECTION', 'INSPECTED')).toBe(true);
    expect(canChangeStatus('INSPECTED', 'AUCTION')).toBe(true);
    expect(canChangeStatus('AUCTION', 'FINISHED')).toBe(true);
  });

  it('rejects leaving a final status', () => {
    expect(canChangeStatus('FINISHED', 'AUCTION')).toBe(false);
    expect(canChangeStatus('WITHDRAWN', 'NEW')).toBe(false);
    expect(canChangeApplicationStatus('REJECTED', 'MODERATED')).toBe(false);
  });

  it('rejects withdrawal once the auction started', () => {
    expect(canChangeStatus('AUCTION', 'WITHDRAWN')).toBe(false);
  });

  it('treats only final statuses as inactive', () => {
    expect(isActive('NEW')).toBe(true);
    expect(isActive('AUCTION')).toBe(true);
    expect(isActive('FINISHED')).toBe(false);
  });

  it('requires a handed-on lot for the auction', () => {
    expect(statusPairProblem('AUCTION', 'READY')).toMatch(/SENT/);
    expect(statusPairProblem('AUCTION', 'SENT')).toBeUndefined();
  });
});
