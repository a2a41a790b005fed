import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/index.js';

export { Prisma, PrismaClient } from '../generated/prisma/index.js';
export type * from '../generated/prisma/index.js';

/** A Prisma interactive transaction client: what every change inside one transaction takes. */
export type Transaction = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export interface Database {
  prisma: PrismaClient;
  /** The pool under Prisma, also used by graphile-worker and LISTEN/NOTIFY. */
  pool: pg.Pool;
  close(): Promise<void>;
}

/** Open a pg pool and a Prisma client over it through the driver adapter. */
export function openDatabase(connectionString: string, options: { poolSize?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 10 });
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process. The next checkout opens a fresh connection.
  pool.on('error', () => {});
  // The same holds for a checked-out client, whose query in flight rejects anyway. With both
  // listeners graphile-worker also stops warning on standard error that the pool lacks them.
  pool.on('connect', (client) => client.on('error', () => {}));
  // 'minimal' keeps Prisma's code frame out of error messages. In this build the frame quotes
  // the generated client's minified source, tens of kilobytes per error.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool), errorFormat: 'minimal' });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
