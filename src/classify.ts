/**
 * Classify a statement by how it may run inside a transaction: transaction
 * control (BEGIN, COMMIT, …) breaks a revision's atomicity, and some commands
 * (CREATE INDEX CONCURRENTLY, VACUUM, …) are refused by PostgreSQL inside a
 * transaction block. Each claim was checked against a real server.
 */
import { leadingTokens, type Token } from './split.js';

export type StatementKind = 'transaction-control' | 'no-transaction' | 'ordinary';


// Every spelling PostgreSQL's parse_bool takes for false.
const FALSE_WORDS = new Set(['f', 'fa', 'fal', 'fals', 'false', 'n', 'no', 'of', 'off', '0']);

/** Whether an option list sets `name` to false (`name = false`, `name off`, `name '0'`). */
function optionIsFalse(tokens: Token[], from: number, name: string): boolean {
  for (let i = from; i < tokens.length; i++) {
    if (tokens[i].kind !== 'word' || tokens[i].text !== name) continue;
    const value = tokens[i + 1]?.text === '=' ? tokens[i + 2] : tokens[i + 1];
    if (!value) return false;
    const plain = value.kind === 'string' ? value.text.slice(1, -1).trim().toLowerCase() : value.text;
    return (value.kind === 'word' || value.kind === 'string' || value.kind === 'number') && FALSE_WORDS.has(plain);
  }
  return false;
}

/**
 * How a statement may run: `transaction-control` for its own BEGIN, COMMIT,
 * ROLLBACK, PREPARE TRANSACTION and the like; `no-transaction` for statements
 * PostgreSQL refuses inside a transaction block (checked against PostgreSQL 15);
 * `ordinary` otherwise. Leading comments are skipped; case does not matter.
 * Where the server decides on state the text cannot show, the usual case wins:
 * DROP SUBSCRIPTION is refused when the subscription has a replication slot,
 * which it has unless `slot_name = NONE` was set.
 */
export function classifyStatement(text: string): StatementKind {
  const t = leadingTokens(text, 400);
  const word = (i: number) => (t[i]?.kind === 'word' ? t[i].text : '');
  const is = (i: number, ...words: string[]) => words.includes(word(i));
  const control = 'transaction-control';
  const outside = 'no-transaction';
  switch (word(0)) {
    case 'begin':
    case 'commit':
    case 'end':
    case 'abort':
      return control;
    case 'start':
      return is(1, 'transaction') ? control : 'ordinary';
    case 'rollback': {
      // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] x stays inside the transaction
      const next = is(1, 'work', 'transaction') ? 2 : 1;
      return is(next, 'to') ? 'ordinary' : control;
    }
    case 'prepare':
      // PREPARE transaction AS ... prepares a statement named "transaction"
      return is(1, 'transaction') && t[2]?.kind === 'string' ? control : 'ordinary';
    case 'vacuum':
      return outside;
    case 'discard':
      return is(1, 'all') ? outside : 'ordinary';
    case 'create': {
      const index = is(1, 'unique') ? 2 : 1;
      if (is(index, 'index') && is(index + 1, 'concurrently')) return outside;
      if (is(1, 'database', 'tablespace')) return outside;
      if (is(1, 'subscription')) {
        // only the replication slot it creates by default needs autocommit
        const noSlot = optionIsFalse(t, 2, 'create_slot') || optionIsFalse(t, 2, 'connect');
        return noSlot ? 'ordinary' : outside;
      }
      return 'ordinary';
    }
    case 'drop':
      if (is(1, 'index') && is(2, 'concurrently')) return outside;
      return is(1, 'database', 'tablespace', 'subscription') ? outside : 'ordinary';
    case 'reindex': {
      let i = 1;
      if (t[1]?.text === '(') {
        while (i < t.length && t[i].text !== ')') i++;
        const options = t.slice(1, i);
        const concurrently = options.some((o) => o.kind === 'word' && o.text === 'concurrently');
        if (concurrently && !optionIsFalse(options, 0, 'concurrently')) return outside;
        i++;
      }
      if (is(i, 'schema', 'database', 'system')) return outside;
      return is(i + 1, 'concurrently') ? outside : 'ordinary';
    }
    case 'cluster': {
      // CLUSTER with no table reclusters every table, one transaction each
      let i = 1;
      if (t[1]?.text === '(') while (i < t.length && t[i++].text !== ')');
      if (is(i, 'verbose')) i++;
      return i >= t.length || t[i].text === ';' ? outside : 'ordinary';
    }
    case 'alter':
      return classifyAlter(t, word);
    default:
      return 'ordinary';
  }
}

function classifyAlter(t: Token[], word: (i: number) => string): StatementKind {
  switch (word(1)) {
    case 'system':
      return 'no-transaction';
    case 'database':
      // ALTER DATABASE name SET TABLESPACE x moves files; SET param = x does not
      return word(3) === 'set' && word(4) === 'tablespace' ? 'no-transaction' : 'ordinary';
    case 'table': {
      const detach = t.findIndex((tok, i) => tok.text === 'detach' && word(i + 1) === 'partition');
      return detach > 0 && t.some((tok, i) => i > detach && word(i) === 'concurrently') ? 'no-transaction' : 'ordinary';
    }
    case 'subscription':
      // REFRESH, and SET/ADD/DROP PUBLICATION unless refresh = false, talk to the publisher
      if (word(3) === 'refresh') return 'no-transaction';
      if (['set', 'add', 'drop'].includes(word(3)) && word(4) === 'publication') {
        return optionIsFalse(t, 5, 'refresh') ? 'ordinary' : 'no-transaction';
      }
      return 'ordinary';
    default:
      return 'ordinary';
  }
}
