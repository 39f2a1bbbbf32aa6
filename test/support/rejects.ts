/** uvu's assert.throws does not await a promise: this does, and returns the SqlrevError. */
import { SqlrevError } from '../../src/errors.js';

export async function rejects(p: Promise<unknown>): Promise<SqlrevError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SqlrevError) return err;
    throw err;
  }
  throw new Error('expected the promise to reject');
}
