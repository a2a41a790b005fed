import { describe, expect, it } from 'vitest';
import { quantile, summarize } from '../bench/stats.js';
import { formatNumber, formatRatio } from '../bench/report.js';

describe('bench stats', () => {
  it('takes the median of an odd count', () => {
    expect(summarize([5, 1, 3]).median).toBe(3);
  });

  it('interpolates the median of an even count', () => {
    expect(summarize([4, 1, 2, 3]).median).toBe(2.5);
  });

  it('reports the minimum and maximum', () => {
    const { min, max } = summarize([7, 2, 9, 4]);
    expect([min, max]).toEqual([2, 9]);
  });

  it('interpolates quartiles linearly', () => {
    expect([quantile([1, 2, 3, 4, 5], 0.25), quantile([1, 2, 3, 4, 5], 0.75)]).toEqual([2, 4]);
  });

  it('rejects an empty list', () => {
    expect(() => summarize([])).toThrow(/empty/);
  });

  it('formats ratios of medians', () => {
    expect(formatRatio(50, 200)).toBe('0.25×');
  });

  it('rounds large numbers to whole ones', () => {
    expect(formatNumber(12_345.6)).toBe('12,346');
  });
});
