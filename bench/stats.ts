/** The median and spread of one figure over the repeats of a benchmark. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** First and third quartiles, linearly interpolated between the sorted repeats. */
  q1: number;
  q3: number;
  samples: number[];
}

/** Summarise the repeats of one figure. Throws on an empty list, because a figure needs a run. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    throw new Error('Cannot summarise an empty list of samples: run the benchmark at least once.');
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    samples: [...samples],
  };
}

/** Compute the q-quantile of sorted values, interpolating linearly between neighbours (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}
