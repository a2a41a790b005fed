import path from 'node:path';
import pg from 'pg';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// Prisma 6.19 runs its CLI here without native engines: the client is generated with
// engineType "client", and migrations go through the WebAssembly schema engine over adapter-pg.
// Prisma's native engines are downloaded from a host these machines cannot reach.

const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;

/**
 * PostgreSQL catalog types that adapter-pg 6.19 cannot map to a Prisma column type. The schema
 * engine reads them from pg_catalog while it applies migrations, and fails with
 * "Column type 'name' could not be deserialized". They are all text-like on the wire.
 */
const CATALOG_TEXT_OIDS = new Set([18, 19, 24, 2205, 2206]);
const CATALOG_TEXT_ARRAY_OIDS = new Set([1002, 1003]);

function reportCatalogTypesAsText(result: pg.QueryResult | undefined): void {
  for (const field of result?.fields ?? []) {
    if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) {
      field.dataTypeID = TEXT_OID;
    } else if (CATALOG_TEXT_ARRAY_OIDS.has(field.dataTypeID)) {
      field.dataTypeID = TEXT_ARRAY_OID;
    }
  }
}

/** A pg client that reports catalog text types as plain text, so adapter-pg accepts them. */
class CatalogTextClient extends pg.Client {
  // pg's query() has many overloads. pg.Pool calls it with a callback, direct callers without one.
  override query(...args: unknown[]): any {
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: Error | null, result: pg.QueryResult) => {
        reportCatalogTypesAsText(result);
        callback(error, result);
      };
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result instanceof Promise) {
      return result.then((res: pg.QueryResult) => {
        reportCatalogTypesAsText(res);
        return res;
      });
    }
    return result;
  }
}

/**
 * adapter-pg 6.19's `executeScript` splits a migration at every semicolon, including those inside
 * comments and dollar-quoted function bodies, so a migration that creates a PL/pgSQL trigger
 * function fails. PostgreSQL runs a multi-statement script in one simple query, in one implicit
 * transaction, as Prisma's native engine sends it, so the whole script is sent at once.
 */
class WholeScriptPrismaPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    adapter.executeScript = async (script: string) => {
      try {
        await (adapter.underlyingDriver() as pg.Pool).query(script);
      } catch (error) {
        (adapter as unknown as { onError(error: unknown): never }).onError(error);
      }
    };
    return adapter;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) {
      throw new Error(
        'DATABASE_URL is not set. Set it to a PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test.',
      );
    }
    return new WholeScriptPrismaPg(new pg.Pool({ connectionString, Client: CatalogTextClient, allowExitOnIdle: true, idleTimeoutMillis: 200 }));
  },
});
