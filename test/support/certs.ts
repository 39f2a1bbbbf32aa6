/**
 * Test certificates made with openssl: a CA, a client certificate it signs
 * for a user name, and that key encrypted with a passphrase. Undefined
 * where openssl is missing (the tests that need them say so and skip).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';

export interface ClientCerts {
  ca: string;
  cert: string;
  key: string;
  /** The same key, encrypted with `passphrase`. */
  encryptedKey: string;
  passphrase: string;
  /** Another certificate's key: does not belong to `cert`. */
  otherKey: string;
}

export function makeClientCerts(dir: string, user: string): ClientCerts | undefined {
  const at = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const steps = [
    ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.crt'), '-days', '2', '-subj', '/CN=sqlrev test CA'],
    ['req', ...ec, '-keyout', at('client.key'), '-out', at('client.csr'), '-subj', `/CN=${user}`],
    ['x509', '-req', '-in', at('client.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('client.crt'), '-days', '2'],
    ['pkey', '-in', at('client.key'), '-aes256', '-passout', 'pass:kp-9x', '-out', at('client-enc.key')],
    ['req', ...ec, '-keyout', at('other.key'), '-out', at('other.csr'), '-subj', '/CN=other'],
  ];
  for (const args of steps) {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
  }
  for (const key of ['client.key', 'client-enc.key', 'other.key']) chmodSync(at(key), 0o600);
  return { ca: at('ca.crt'), cert: at('client.crt'), key: at('client.key'), encryptedKey: at('client-enc.key'), passphrase: 'kp-9x', otherKey: at('other.key') };
}
