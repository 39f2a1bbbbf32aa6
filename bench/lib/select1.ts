/**
 * The start-up baseline of the engine benchmark: the least a Node program
 * that talks to PostgreSQL can do — import postgres.js, connect, run
 * `select 1`, disconnect. A no-op `migrate up` is compared with this.
 *
 *   node dist/bench/lib/select1.js postgres://user@host:port/db
 */
import postgres from 'postgres';

const url = process.argv[2];
if (!url) throw new Error('usage: node dist/bench/lib/select1.js <database url>');
const sql = postgres(url, { max: 1 });
await sql`select 1`;
await sql.end();
