import type { z } from 'zod';
import type { SandboxReply, SandboxRequest } from './sandbox.js';

export type ParsedInput<T> = { ok: true; data: T } | { ok: false; reply: SandboxReply };

/**
 * Parse a sandbox request's JSON body against a schema. A body that is not JSON or breaks the
 * schema gets a 400 reply naming the field, as a strict partner would.
 */
export function parseRequestBody<Schema extends z.ZodType>(request: SandboxRequest, schema: Schema): ParsedInput<z.infer<Schema>> {
  let body: unknown;
  try {
    body = request.json();
  } catch {
    return { ok: false, reply: { status: 400, json: { error: 'invalid_request', message: 'The body is not valid JSON.' } } };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return { ok: false, reply: { status: 400, json: { error: 'invalid_request', message: `${field} is invalid: ${issue.message}.` } } };
  }
  return { ok: true, data: parsed.data };
}
