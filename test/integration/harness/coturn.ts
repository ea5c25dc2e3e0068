/**
 * A real coturn (Debian's `turnserver`, installed by `node scripts/setup.mjs --browser`) started
 * by a test on free loopback ports, with `use-auth-secret` and the peer-address hardening of
 * docker/turnserver.conf: every private, loopback and special range is denied, and exactly one
 * address is allowed back in, the SFU's loopback address (127.0.0.1), because on this machine the
 * SFU listens there. A TURN server that may relay to 127.0.0.1 could reach any loopback service;
 * a deployment allows only its SFU's address, never a range.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

/** The same denials as docker/turnserver.conf (IANA special-purpose registries, RFC 6890). */
export const DENIED_PEER_RANGES = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.0.0.0-192.0.0.255',
  '192.0.2.0-192.0.2.255',
  '192.88.99.0-192.88.99.255',
  '192.168.0.0-192.168.255.255',
  '198.18.0.0-198.19.255.255',
  '198.51.100.0-198.51.100.255',
  '203.0.113.0-203.0.113.255',
  '240.0.0.0-255.255.255.255',
  '::1',
  '64:ff9b::-64:ff9b::ffff:ffff',
  '::ffff:0.0.0.0-::ffff:255.255.255.255',
  '100::-100::ffff:ffff:ffff:ffff',
  '2001::-2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff',
  '2002::-2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

export interface Coturn {
  readonly port: number;
  readonly secret: string;
  /** `turn:127.0.0.1:<port>?transport=udp` and the same over TCP. */
  readonly urls: string[];
  /** What coturn printed (for failure messages). */
  log(): string;
  close(): Promise<void>;
}

/** A port free for both UDP and TCP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve(udp.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    udp.close();
    if (tcpFree) return port;
  }
}

/** One STUN Binding request (RFC 8489 §5): answered once coturn listens. */
async function answersStun(port: number): Promise<boolean> {
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  randomBytes(12).copy(request, 8); // transaction id
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      socket.on('message', (m) => {
        clearTimeout(timer);
        resolve(m.length >= 20 && m.readUInt16BE(0) === 0x0101);
      });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

export async function startCoturn(
  options: { allowedPeer?: string; secret?: string } = {},
): Promise<Coturn> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'coturn-'));
  const port = await freePort();
  // Relay ports: a random block of 40 in 61000-64999, above Linux's ephemeral range
  // (32768-60999) so no outgoing connection of the machine holds one (coturn takes a range, not
  // port 0).
  const minPort = 61000 + Math.floor(Math.random() * 99) * 40;
  const secret = options.secret ?? randomBytes(24).toString('base64url');
  const args = [
    '-n', // no configuration file: everything is on this command line
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 39}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=blindcall.test',
    '--fingerprint',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-multicast-peers',
    '--no-software-attribute',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${path.join(dir, 'turnserver.pid')}`,
    `--db=${path.join(dir, 'turndb')}`,
    // coturn refuses every loopback peer before it reads its allow/deny lists unless this is
    // set; the lists below then deny 127.0.0.0/8 and allow back the one address needed.
    '--allow-loopback-peers',
    ...DENIED_PEER_RANGES.map((r) => `--denied-peer-ip=${r}`),
    `--allowed-peer-ip=${options.allowedPeer ?? '127.0.0.1'}`,
  ];
  const child: ChildProcess = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | null = null;
  child.once('error', (err) => (spawnError = err));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await answersStun(port))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(
        `turnserver did not start (${TURNSERVER}; install it with node scripts/setup.mjs ` +
          `--browser): ${String(spawnError ?? '')}\n${output.slice(-2000)}`,
      );
    }
  }
  return {
    port,
    secret,
    urls: [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`],
    log: () => output,
    close,
  };
}
