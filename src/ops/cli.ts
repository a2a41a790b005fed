import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/prisma.js';
import { checkDatabaseReachable, connectionErrorReason, databaseAddress, DatabaseUnreachableError, isConnectionError } from '../db/reachability.js';
import { createKafkaClient, isKafkaConfigured } from '../kafka/client.js';
import { createLogger } from '../logger.js';
import { replayDeadLetters } from './replay-dead-letters.js';
import { ApplicationNotFoundError, listStuckApplications, unstickApplication } from './unstick.js';

/**
 * Commands for the people who run the service: `npm run ops -- <command>`. They use the
 * service's own settings (DATABASE_URL, KAFKA_BROKERS...), print their results on standard output
 * and log to it as JSON lines at LOG_LEVEL, `warn` by default.
 */

const USAGE = `Usage: npm run ops -- <command> [options]

Commands:
  stuck [--minutes N] [--limit N] [--json]
      List the applications the sweep counts as stuck (no change for N minutes, default
      STUCK_AFTER_MINUTES), oldest first, with their stage and job queue.
  unstick <application id>...
      Release jobs held by dead workers, run the application's waiting and failed jobs now,
      and queue its stage's job when none can run. Safe to repeat.
  replay-dead-letters [--limit N] [--dry-run] [--group NAME]
      Send dead-lettered moderation verdicts (KAFKA_VERDICTS_DLQ_TOPIC) back to
      KAFKA_VERDICTS_TOPIC. --dry-run lists them and changes nothing.
`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseOptions(argv);
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }

  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'auction-applications-ops' });

  switch (command) {
    case 'stuck':
      return withDatabase(config, async (db) => {
        const stuckAfterMinutes = positiveInteger('--minutes', values.minutes) ?? config.STUCK_AFTER_MINUTES;
        const rows = await listStuckApplications(db, { stuckAfterMinutes, limit: positiveInteger('--limit', values.limit) ?? 100 });
        if (values.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        } else if (rows.length === 0) {
          process.stdout.write(`No application has been stuck for more than ${stuckAfterMinutes} ${stuckAfterMinutes === 1 ? 'minute' : 'minutes'}.\n`);
        } else {
          printTable(rows.map((row) => ({
            application: row.applicationId,
            state: row.applicationStatus,
            stage: row.stage,
            'unchanged since': row.updatedAt.toISOString(),
            'live jobs': String(row.liveJobs),
            'failed jobs': String(row.failedJobs),
            'last error': (row.lastError ?? '').split('\n')[0]!.slice(0, 80),
          })));
        }
        return 0;
      });

    case 'unstick': {
      if (args.length === 0) {
        throw new UsageError('unstick needs at least one application id, such as `npm run ops -- unstick 42`.');
      }
      const ids = args.map((arg) => {
        if (!/^[1-9]\d{0,18}$/.test(arg)) {
          throw new UsageError(`"${arg}" is not an application id: expected its number, such as 42.`);
        }
        return BigInt(arg);
      });
      return withDatabase(config, async (db) => {
        // An unknown id does not stop the others, because each unstick is independent.
        let exitCode = 0;
        for (const id of ids) {
          try {
            process.stdout.write(`${JSON.stringify(await unstickApplication(db, logger, id))}\n`);
          } catch (error) {
            if (!(error instanceof ApplicationNotFoundError)) {
              throw error;
            }
            process.stderr.write(`${error.message}\n`);
            exitCode = 1;
          }
        }
        return exitCode;
      });
    }

    case 'replay-dead-letters': {
      if (!isKafkaConfigured(config)) {
        throw new UsageError('KAFKA_BROKERS is not set: dead letters exist only where Kafka carries the verdicts.');
      }
      const report = await replayDeadLetters({
        kafka: createKafkaClient(config, logger),
        logger,
        fromTopic: config.KAFKA_VERDICTS_DLQ_TOPIC,
        toTopic: config.KAFKA_VERDICTS_TOPIC,
        groupId: values.group ?? `${config.KAFKA_CONSUMER_GROUP}.dlq-replay`,
        limit: positiveInteger('--limit', values.limit),
        dryRun: values['dry-run'],
      });
      for (const record of report.records) {
        process.stdout.write(`${JSON.stringify(record)}\n`);
      }
      process.stdout.write(
        `${report.dryRun ? 'Would replay' : 'Replayed'} ${report.records.length} dead letters from ${config.KAFKA_VERDICTS_DLQ_TOPIC} to ${config.KAFKA_VERDICTS_TOPIC}; ${report.remaining} left.\n`,
      );
      return 0;
    }

    default:
      throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

class UsageError extends Error {}

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        minutes: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        group: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
}

/**
 * Run `work` on the service's database. A database that cannot be reached, before or during the
 * work, becomes a DatabaseUnreachableError, whose one line names the address and the fix instead
 * of Prisma's long error.
 */
async function withDatabase<T>(config: Config, work: (db: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  // Without DATABASE_URL the local run keeps its data in the embedded PostgreSQL, which runs
  // only while `npm start` does.
  const url = config.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/auction_applications`;
  const advice = config.DATABASE_URL
    ? 'Start PostgreSQL there or correct DATABASE_URL.'
    : 'Start the service with `npm start`, which runs the embedded PostgreSQL, or set DATABASE_URL.';
  await checkDatabaseReachable(url, { setting: config.DATABASE_URL ? 'DATABASE_URL' : undefined, advice });

  const db = openDatabase(url, { poolSize: 2 });
  try {
    return await work(db);
  } catch (error) {
    if (isConnectionError(error)) {
      throw new DatabaseUnreachableError(`Cannot reach PostgreSQL at ${databaseAddress(url)}: ${connectionErrorReason(error)}. ${advice}`, { cause: error });
    }
    throw error;
  } finally {
    await db.close();
  }
}

function positiveInteger(option: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^[1-9]\d*$/.test(value)) {
    throw new UsageError(`${option} must be a whole number above 0, but it is "${value}".`);
  }
  return Number(value);
}

function printTable(rows: Record<string, string>[]): void {
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `${cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd()}\n`;
  process.stdout.write(line(columns));
  for (const row of rows) {
    process.stdout.write(line(columns.map((column) => row[column]!)));
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof DatabaseUnreachableError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`The command failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
