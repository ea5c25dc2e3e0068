/**
 * Limits that hold under pressure: per-peer caps and one consumer per producer with requests
 * pipelined back to back; rooms per node with first joins racing; connections per client
 * address (also behind a trusted proxy); the relay fan-out budget; and backpressure on a socket
 * that stops reading. Each refusal carries its stable code and leaves nothing half-made.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterEach, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { census } from '../fuzz/census.js';
import { rtpParameters } from '../fuzz/signallingOps.js';
import { joinRoom, refusedCount, startSfu, TestClient, until } from './harness/sfu.js';
import { mlsRoom } from './harness/mlsRoom.js';

let sfu: Sfu | null = null;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sfu?.close();
  sfu = null;
});

async function client(): Promise<TestClient> {
  const c = await TestClient.connect(sfu!);
  clients.push(c);
  return c;
}

function codes(answers: { ok: boolean; error?: { code: string } }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = a.ok ? 'ok' : a.error!.code;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

const NO_RATE_LIMIT = { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' };

it('per-peer caps hold when requests are pipelined back to back', async () => {
  sfu = await startSfu(NO_RATE_LIMIT);
  const a = await client();
  const b = await client();
  await joinRoom(sfu, a, 'caps');
  await joinRoom(sfu, b, 'caps');
  // Ten createTransport in one burst: each is checked before the first has been made.
  const transports = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      a.request('createTransport', { direction: i === 0 ? 'recv' : 'send' }),
    ),
  );
  expect(codes(transports)).toEqual({ ok: 4, LIMIT_REACHED: 6 });
  const send = transports.find((t, i) => t.ok && i > 0)!;
  const sendId = send.ok ? send.data.transportId : '';
  const produced = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      a.request('produce', {
        transportId: sendId,
        kind: 'audio',
        rtpParameters: rtpParameters(false, 9000 + i) as never,
        source: 'microphone',
      }),
    ),
  );
  expect(codes(produced)).toEqual({ ok: 6, LIMIT_REACHED: 4 });
  const peerA = sfu.registry.rooms.get('caps')!.peers.values().next().value!;
  expect([peerA.transports.size, peerA.producers.size]).toEqual([4, 6]);

  // The same producer consumed ten times at once: one consumer, nine refusals.
  const recv = await b.ok('createTransport', { direction: 'recv' });
  const producerId = produced.find((p) => p.ok)!;
  const pid = producerId.ok ? producerId.data.producerId : '';
  const consumed = await Promise.all(
    Array.from({ length: 10 }, () =>
      b.request('consume', { transportId: recv.transportId, producerId: pid }),
    ),
  );
  expect(codes(consumed)).toEqual({ ok: 1, INVALID_STATE: 9 });
  const peerB = [...sfu.registry.rooms.get('caps')!.peers.values()][1]!;
  expect(peerB.consumers.size).toBe(1);
  // Once that consumer is gone (its producer closed), the producer's replacement can be consumed.
  const other = produced.filter((p) => p.ok)[1]!;
  const otherId = other.ok ? other.data.producerId : '';
  await a.ok('closeProducer', { producerId: pid });
  await until(() => peerB.consumers.size === 0, 5000, 'consumer closed with its producer');
  expect(
    (await b.request('consume', { transportId: recv.transportId, producerId: otherId })).ok,
  ).toBe(true);
});

it('refuses rooms beyond MAX_ROOMS with SERVER_FULL, also when first joins race', async () => {
  sfu = await startSfu({ MAX_ROOMS: '2' });
  const cs = await Promise.all([0, 1, 2, 3, 4].map(() => client()));
  const { routerRtpCapabilities } = await cs[0]!.ok('getRouterRtpCapabilities', {});
  const answers = await Promise.all(
    cs
      .slice(0, 4)
      .map((c, i) =>
        c.request('join', { roomId: `r${i}`, rtpCapabilities: routerRtpCapabilities }),
      ),
  );
  expect(codes(answers)).toEqual({ ok: 2, SERVER_FULL: 2 });
  expect(sfu.registry.rooms.size).toBe(2);
  // An existing room still takes people; once one closes, a new room can open.
  const open = [...sfu.registry.rooms.keys()];
  await joinRoom(sfu, cs[4]!, open[0]!);
  const leaver = cs[answers.findIndex((a, i) => a.ok && `r${i}` === open[1])]!;
  await leaver.ok('leave', {});
  await until(() => sfu!.registry.rooms.size === 1, 5000, 'room closed');
  await joinRoom(sfu, leaver, 'fresh');
  expect(sfu.registry.rooms.size).toBe(2);
});

it('refuses joins beyond MAX_PEERS_PER_ROOM with ROOM_FULL when they race across workers', async () => {
  sfu = await startSfu({ MAX_PEERS_PER_ROOM: '2', NUM_WORKERS: '2' });
  const cs = await Promise.all([0, 1, 2, 3, 4].map(() => client()));
  const { routerRtpCapabilities } = await cs[0]!.ok('getRouterRtpCapabilities', {});
  // Joins wait for a router of the room on their worker: each must count while it waits.
  const answers = await Promise.all(
    cs.map((c) => c.request('join', { roomId: 'full', rtpCapabilities: routerRtpCapabilities })),
  );
  expect(codes(answers)).toEqual({ ok: 2, ROOM_FULL: 3 });
  expect(sfu.registry.rooms.get('full')!.peers.size).toBe(2);
  expect(sfu.pool.workers.map((w) => w.peers).reduce((x, y) => x + y)).toBe(2);
});

/** Connects and returns the refusal code, or null when connected. */
function tryConnect(headers: Record<string, string> = {}): Promise<string | null> {
  const socket = io(sfu!.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: headers,
  });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      held.push(socket);
      resolve(null);
    });
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve(err.data?.code ?? err.message);
    });
  });
}
const held: ReturnType<typeof io>[] = [];
afterEach(() => {
  for (const s of held.splice(0)) s.close();
});

it('refuses connections beyond MAX_CONNECTIONS_PER_ADDRESS, and counts them down again', async () => {
  sfu = await startSfu({ MAX_CONNECTIONS_PER_ADDRESS: '3' });
  expect(await Promise.all([0, 1, 2, 3, 4].map(() => tryConnect()))).toEqual(
    expect.arrayContaining([null, null, null, 'TOO_MANY_CONNECTIONS', 'TOO_MANY_CONNECTIONS']),
  );
  expect(held.length).toBe(3);
  held.pop()!.close();
  await until(() => sfu!.connections.count('127.0.0.1') === 2, 5000, 'count down');
  expect(await tryConnect()).toBeNull();
  expect(await tryConnect()).toBe('TOO_MANY_CONNECTIONS');
});

it('behind a trusted proxy, counts by the hop the proxy appended', async () => {
  sfu = await startSfu({ MAX_CONNECTIONS_PER_ADDRESS: '2', TRUST_PROXY: '1' });
  // A client may put anything first; the proxy appends the address it saw last.
  const from = (addr: string) => ({ 'x-forwarded-for': `6.6.6.6, ${addr}` });
  expect(await tryConnect(from('10.0.0.1'))).toBeNull();
  expect(await tryConnect(from('10.0.0.1'))).toBeNull();
  expect(await tryConnect(from('10.0.0.1'))).toBe('TOO_MANY_CONNECTIONS');
  expect(await tryConnect(from('10.0.0.2'))).toBeNull();
});

it('bounds MLS relay fan-out per peer (bytes × recipients) with RELAY_LIMITED', async () => {
  // 64 KiB of fan-out at once, 1 KiB/s after that.
  sfu = await startSfu({ RELAY_BYTES_PER_SECOND: '1024', RELAY_BURST_BYTES: '65536' });
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => client()));
  for (const x of [a!, b!, c!]) await joinRoom(sfu, x, 'relays');
  const room = await mlsRoom(a!, 'relays');
  const envelope = room.envelope(16 * 1024); // to two others: 32 KiB of fan-out each
  const sent = [];
  for (let i = 0; i < 3; i++) sent.push(await a!.request('mlsSend', { envelope }));
  expect(codes(sent)).toEqual({ ok: 2, RELAY_LIMITED: 1 });
  const got = (x: TestClient): number => x.received.filter((r) => r.name === 'mlsMessage').length;
  await until(() => got(b!) === 2, 5000, 'relays');
  await new Promise((r) => setTimeout(r, 200));
  expect(got(b!)).toBe(2);
  expect(got(c!)).toBe(2);
  // Other peers' budgets are their own.
  expect((await b!.request('mlsSend', { envelope })).ok).toBe(true);
});

/**
 * A WebSocket client that joins and then stops reading: a raw TCP socket speaking RFC 6455
 * (masked client frames) and engine.io/socket.io's text packets, so nothing reads on its behalf.
 */
async function stalledPeer(url: string, roomId: string, caps: unknown): Promise<net.Socket> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let seen = '';
  socket.on('data', (d: Buffer) => (seen += d.toString('latin1')));
  socket.write(
    [
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  const frame = (text: string): Buffer => {
    const body = Buffer.from(text);
    const mask = randomBytes(4);
    const len =
      body.length < 126
        ? Buffer.from([0x81, 0x80 | body.length])
        : Buffer.from([0x81, 0x80 | 126, body.length >> 8, body.length & 0xff]);
    return Buffer.concat([len, mask, body.map((x, i) => x ^ mask[i % 4]!)]);
  };
  await until(() => seen.includes('"sid"'), 5000, 'engine.io open');
  socket.write(frame('40'));
  await until(() => seen.split('40{').length > 1, 5000, 'namespace connected');
  socket.write(frame(`420${JSON.stringify(['join', { roomId, rtpCapabilities: caps }])}`));
  await until(() => seen.includes('430'), 5000, 'join answered');
  socket.pause(); // from now on, nothing is read
  socket.removeAllListeners('data');
  return socket;
}

it('closes a socket that stops reading once its queue is full (BACKPRESSURE)', async () => {
  sfu = await startSfu({
    ...NO_RATE_LIMIT,
    MAX_QUEUED_MESSAGES: '50',
    RELAY_BYTES_PER_SECOND: String(1 << 30),
    RELAY_BURST_BYTES: String(1 << 30),
  });
  const a = await client();
  const ja = await joinRoom(sfu, a, 'stall');
  const { routerRtpCapabilities } = await a.ok('getRouterRtpCapabilities', {});
  const stalled = await stalledPeer(sfu.url, 'stall', routerRtpCapabilities);
  try {
    const room = sfu.registry.rooms.get('stall')!;
    await until(() => room.peers.size === 2, 5000, 'stalled peer joined');
    const to = [...room.peers.keys()].find((id) => id !== ja.peerId)!;
    const before = await refusedCount(sfu, 'BACKPRESSURE');
    // 60 KiB MLS messages until the server gives up on the reader: the kernel's socket buffers take
    // the first few MB, then engine.io's queue grows to the limit.
    const envelope = (await mlsRoom(a, 'stall')).envelope(60 * 1024);
    let sent = 0;
    for (; sent < 2000 && room.peers.has(to); sent++) {
      const r = await a.request('mlsSend', { envelope });
      expect(r.ok).toBe(true);
    }
    expect(sent).toBeLessThan(2000);
    expect(await a.next('peerLeft')).toEqual({ peerId: to });
    expect(room.peers.size).toBe(1);
    expect(await refusedCount(sfu, 'BACKPRESSURE')).toBe(before + 1);
    expect((await census(sfu)).sockets).toBe(1);
  } finally {
    stalled.destroy();
  }
});
