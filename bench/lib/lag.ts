/**
 * A TCP proxy that delays everything it forwards, to see what round trips
 * cost against a server that is not on the same machine:
 *
 *   node dist/bench/lib/lag.js [--port 15432] [--to 127.0.0.1:5432] [--delay-ms 5]
 *
 * then point `--db` at 127.0.0.1:15432. Each direction waits --delay-ms, so a
 * round trip takes twice that longer. Both sockets set TCP_NODELAY, as
 * PostgreSQL does on its own: without it, Nagle's algorithm held back a
 * second reply written right behind a first until the client's delayed
 * acknowledgement, about 40 ms here, and pipelined queries looked slower.
 */
import net from 'node:net';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const port = Number(option('port', '15432'));
const [host, targetPort] = option('to', '127.0.0.1:5432').split(':');
const delay = Number(option('delay-ms', '5'));

function forward(from: net.Socket, to: net.Socket): void {
  from.on('data', (chunk) => setTimeout(() => to.write(chunk), delay));
  from.on('end', () => setTimeout(() => to.end(), delay));
  from.on('error', () => to.destroy());
}

net.createServer((client) => {
  const server = net.connect(Number(targetPort), host);
  client.setNoDelay(true);
  server.setNoDelay(true);
  forward(client, server);
  forward(server, client);
}).listen(port, '127.0.0.1', () => {
  process.stderr.write(`forwarding 127.0.0.1:${port} to ${host}:${targetPort}, ${delay} ms each way\n`);
});
