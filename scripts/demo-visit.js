// The last step of `npm run demo`: add a row to the example's audit_log and
// count the rows. Run the demo twice and the count grows while `migrate up`
// applies nothing: the data persists, which is why schemas are migrated and
// not recreated at start-up.
import postgres from 'postgres';
import { startEmbedded } from '../dist/src/embedded.js';
import { redactUrl } from '../dist/src/redact.js';

const server = process.env.DATABASE_URL ? undefined : await startEmbedded({ dataDir: '.sqlrev/pg' });
const url = process.env.DATABASE_URL ?? server.url;
const sql = postgres(url, { max: 1, onnotice: () => undefined });
try {
  await sql`insert into audit_log (action) values ('demo visit')`;
  const [{ n }] = await sql`select count(*)::int as n from audit_log where action = 'demo visit'`;
  const where = server ? 'the embedded PostgreSQL in .sqlrev/pg/' : redactUrl(url);
  console.log(`audit_log in ${where} now holds ${n} demo visit(s)${n > 1 ? ': the rows of earlier runs are still there' : ''}`);
} finally {
  await sql.end();
  await server?.stop();
}
