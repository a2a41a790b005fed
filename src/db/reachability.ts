import pg from 'pg';

/**
 * A PostgreSQL server that could not be reached. The message is one line that names the address,
 * the setting behind it and what to do, so a command-line entry point prints it without a stack.
 */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** Node's error codes for a connection that could not be opened or was cut before it was used. */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The error kinds of Prisma's driver adapters (6.19) that mean the server was not reached or
 * rejected the connection, as opposed to a failing query.
 */
const PRISMA_CONNECTION_KINDS = new Set(['DatabaseNotReachable', 'DatabaseDoesNotExist', 'AuthenticationFailed', 'SocketTimeout', 'TlsConnectionError']);

/** Return the `host:port` of a PostgreSQL URL, without the user or password, for messages. */
export function databaseAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * Tell whether `error` means that no connection to PostgreSQL could be opened: a network error
 * from pg, a connection timeout, or a Prisma error whose driver adapter reports one of the
 * connection kinds above.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) {
    return true;
  }
  if (error.message.startsWith('Connection terminated due to connection timeout')) {
    return true;
  }
  const adapterError = (error as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } }).meta?.driverAdapterError;
  const kind = adapterError?.cause?.kind;
  return typeof kind === 'string' && PRISMA_CONNECTION_KINDS.has(kind);
}

/**
 * Return the first line of a connection error's message. pg reports a refused `localhost` as an AggregateError of
 * one error per address, whose own message is empty.
 */
export function connectionErrorReason(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const first = error instanceof AggregateError ? (error.errors[0] as Error | undefined) : undefined;
  const adapterCause = (error as { meta?: { driverAdapterError?: { cause?: { kind?: string } } } }).meta?.driverAdapterError?.cause;
  const reason = error.message || first?.message || (error as { code?: string }).code || adapterCause?.kind || error.name;
  return reason.split('\n')[0]!.trim();
}

/**
 * Open one connection to `url` and run `SELECT 1`, so a process finds out that the server is
 * missing before it starts migrations or a Prisma client, whose errors are long. Any failure,
 * including a wrong password or a missing database, becomes a DatabaseUnreachableError whose
 * message ends with `advice`.
 */
export async function checkDatabaseReachable(url: string, options: { advice: string; setting?: string; timeoutMs?: number }): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: options.timeoutMs ?? 10_000 });
  // A connection cut after connect() emits 'error', which would crash the process without a listener.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const setting = options.setting ? ` (${options.setting})` : '';
    throw new DatabaseUnreachableError(`Cannot reach PostgreSQL at ${databaseAddress(url)}${setting}: ${connectionErrorReason(error)}. ${options.advice}`, { cause: error });
  } finally {
    await client.end().catch(() => {});
  }
}
