import os from 'node:os';
import pg from 'pg';

/** The machine a run measured, printed above the table so that figures are read with it. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
}

/** Read the machine and the PostgreSQL server version that the benchmarks run against. */
export async function describeMachine(databaseUrl: string): Promise<Machine> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    const cpus = os.cpus();
    return {
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      cores: os.availableParallelism(),
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      postgres: rows[0]?.server_version ?? 'unknown',
    };
  } finally {
    await client.end();
  }
}
