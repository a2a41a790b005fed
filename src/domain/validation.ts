import type { z } from 'zod';
import { ValidationError, type ErrorParams } from './errors.js';

/**
 * Conversion of zod issues into ValidationErrors. Schemas set their own reason keys as the issue
 * message, such as `{ error: 'vin_length' }`. `issueReason` sets the reason of every issue that a
 * schema leaves to zod, so each issue's message is a reason key of the message catalogue.
 */

/** Parse options that make every zod issue carry a catalogue reason and the rejected input. */
export const REASON_PARSE_OPTIONS = { error: issueReason, reportInput: true } as const;

/** Return the catalogue reason of an issue that a schema did not name itself. */
export function issueReason(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : 'wrong_type';
    case 'too_small':
      return 'too_small';
    case 'too_big':
      return 'too_big';
    case 'unrecognized_keys':
      return 'unknown_field';
    default:
      return 'invalid_format';
  }
}

/**
 * Build the ValidationError for the first issue, naming the field as `prefix.path.to.field`.
 * Parameters the message catalogue shows, such as the minimum or the rejected value, are kept.
 */
export function validationErrorFromIssues(issues: readonly z.core.$ZodIssue[], prefix: string): ValidationError {
  const issue = issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const field = [prefix, ...path.map(String)].filter(Boolean).join('.');
  const params: ErrorParams = {};
  if (issue.code === 'invalid_type') {
    params.expected = issue.expected;
  }
  if (issue.code === 'too_small') {
    params.minimum = Number(issue.minimum);
  }
  if (issue.code === 'too_big') {
    params.maximum = Number(issue.maximum);
  }
  const value = displayedValue(issue.input);
  if (value !== undefined) {
    params.value = value;
  }
  const custom = issue.code === 'custom' ? (issue.params as ErrorParams | undefined) : undefined;
  return new ValidationError(field, issue.message, { ...params, ...custom });
}

/** Return a rejected value as the seller may see it: short primitives only, never a whole object. */
function displayedValue(input: unknown): string | number | undefined {
  if (typeof input === 'number' && Number.isFinite(input)) {
    return input;
  }
  if (typeof input === 'string') {
    return input.length > 80 ? `${input.slice(0, 80)}...` : input;
  }
  return undefined;
}
