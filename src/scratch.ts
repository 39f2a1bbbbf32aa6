/**
 * Scratch databases for `migrate test`, `drift`, `dump` and `verify
 * --schema-file`: created on the configured server (which then needs
 * CREATEDB) or named with --scratch-db, and dropped at the end, even after a
 * failure or Ctrl-C. Also the one way those commands apply a revision there.
 */
import { randomBytes } from 'node:crypto';
import { EXIT, SqlrevError } from './errors.js';
import { errorCode } from './db.js';
import { openSession, recordOf, withReadSession, type DbOptions } from './engine.js';
import { quoteIdent } from './quote.js';
import { Runner, type Step } from './run.js';
import { ensureState } from './state.js';
import type { Revision } from './types.js';

export interface Scratch {
  /** Options that connect to the scratch database. */
  options: DbOptions;
  /** Its name, for messages and --keep. */
  name: string;
  created: boolean;
  /** Drop it (or, with `keep`, only close sqlrev's connection to the server). */
  drop(keep?: boolean): Promise<void>;
}

/** A fresh, empty database on the configured server, or the one `scratchUrl` names. */
export async function createScratch(base: DbOptions, scratchUrl?: string): Promise<Scratch> {
  if (scratchUrl) {
    return { options: { ...base, db: scratchUrl, database: undefined }, name: new URL(scratchUrl).pathname.slice(1) || scratchUrl, created: false, drop: async () => undefined };
  }
  const admin = await openSession(base);
  const name = `sqlrev_scratch_${randomBytes(5).toString('hex')}`;
  try {
    await admin.conn.sql.unsafe(`create database ${quoteIdent(name)}`);
  } catch (err) {
    await admin.stop();
    const code = errorCode(err);
    throw new SqlrevError('scratch-unavailable', code === '42501' ? EXIT.usage : EXIT.sqlFailed, `cannot create a scratch database on ${admin.conn.where}: ${(err as Error).message}`, {
      hint: 'the connecting role needs CREATEDB; or name an empty database with --scratch-db URL; or use --db embedded',
      cause: err,
    });
  }
  let dropped = false;
  return {
    options: { ...base, database: name },
    name,
    created: true,
    drop: async (keep = false) => {
      if (dropped) return;
      dropped = true;
      if (keep) return admin.stop();
      try {
        // WITH (FORCE) (PostgreSQL 13+) ends sessions a cancelled run may have left.
        const force = admin.conn.serverVersion >= 13 ? ' with (force)' : '';
        const drop = () => admin.conn.sql.unsafe(`drop database if exists ${quoteIdent(name)}${force}`);
        // A session of the cancelled run may still be on its way out: one retry.
        await drop().catch((err) => (errorCode(err) === '55006' ? drop() : Promise.reject(err)));
      } finally {
        await admin.stop();
      }
    },
  };
}

/** A session on a scratch database that applies single revisions, with sqlrev's state kept there too. */
export async function scratchRunner<T>(options: DbOptions, schema: string, signal: AbortSignal | undefined, fn: (run: (step: Step) => Promise<number>, sql: import('./db.js').Sql) => Promise<T>): Promise<T> {
  return withReadSession({ ...options, dir: options.dir ?? 'migrations', schema }, async (session, state) => {
    await ensureState(session.conn.sql, schema, state.version, undefined, state.schemaExists);
    const runner = new Runner(session.conn.sql, schema, session.conn.cancelRunning, session.conn.quietly);
    const onAbort = () => runner.cancel(signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(async (step) => {
        if (signal?.aborted) throw new SqlrevError('interrupted', signal.reason === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint, 'interrupted');
        const outcome = step.transactional ? await runner.runTransactional(step) : await runner.runAutocommit(step);
        return outcome.durationMs ?? 0;
      }, session.conn.sql);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  });
}

export function upStep(rev: Revision): Step {
  return { id: rev.id, direction: 'up', file: rev.up.path, text: rev.up.text, transactional: rev.up.transactional, record: recordOf(rev) };
}

export function downStep(rev: Revision): Step {
  return { id: rev.id, direction: 'down', file: rev.down.path, text: rev.down.text, transactional: rev.down.transactional, record: recordOf(rev) };
}
