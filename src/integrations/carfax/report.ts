import type { CarfaxReport } from './contract.js';

/**
 * Blocks a ProAuto report must contain before we store it. CARFAX fills a report block by block;
 * an auction lot with a half-made history would look clean only because the rest is missing.
 */
export const REQUIRED_BLOCKS = ['identity', 'owners', 'accidents', 'mileage', 'restrictions'] as const;

export type RequiredBlock = (typeof REQUIRED_BLOCKS)[number];

/** Required blocks that are absent or null in the report, in REQUIRED_BLOCKS order. */
export function missingBlocks(report: Pick<CarfaxReport, 'blocks'>): RequiredBlock[] {
  return REQUIRED_BLOCKS.filter((block) => report.blocks[block] === undefined || report.blocks[block] === null);
}

/** Check that every required block is present, so the report may be stored. */
export function isReportComplete(report: Pick<CarfaxReport, 'blocks'>): boolean {
  return missingBlocks(report).length === 0;
}
