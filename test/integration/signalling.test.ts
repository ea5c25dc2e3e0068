/**
 * Signalling against a real SFU: join/leave, room lifecycle, relay addressing, and every error
 * path (malformed, unknown, oversized, out-of-order, rate-limited), each of which must leave the
 * server's state unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MLS_MESSAGE_MAX_BYTES } from '../../shared/protocol/index.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { joinRoom, startSfu, TestClient, until } from './harness/sfu.js';
import { mlsRoom } from './harness/mlsRoom.js';

let sfu: Sfu;
const clients: TestClient[] = [];

async function client(): Promise<TestClient> {
  const c = await TestClient.connect(sfu);
  clients.push(c);
  return c;
}

/** A snapshot of everything a refused request must not change. */
function state(): string {
  const rooms = [...sfu.registry.rooms.values()].map((r) => ({
    id: r.id,
    peers: [...r.peers.values()].map((p) => ({
      id: p.id,
      transports: p.transports.size,
      producers: p.producers.size,
      consumers: p.consumers.size,
    })),
  }));
  return JSON.stringify(rooms);
}

beforeEach(async () => {
  sfu = await startSfu({ MAX_PEERS_PER_ROOM: '3' });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sfu.close();
});

describe('join and leave', () => {
  it('creates the room on first join, announces peers, and closes the room when empty', async () => {
    const a = await client();
    const b = await client();
    const ja = await joinRoom(sfu, a, 'room-1');
    expect(ja.peers).toEqual([]);
    expect(ja.maxPeers).toBe(3);
    expect(sfu.registry.rooms.has('room-1')).toBe(true);

    const jb = await joinRoom(sfu, b, 'room-1');
    expect(jb.peers).toEqual([{ peerId: ja.peerId }]);
    expect(jb.peerId).not.toBe(ja.peerId);
    await a.next('peerJoined', (m) => m.peerId === jb.peerId);

    await b.ok('leave', {});
    await a.next('peerLeft', (m) => m.peerId === jb.peerId);
    expect(sfu.registry.rooms.get('room-1')?.peers.size).toBe(1);

    a.close();
    await until(() => !sfu.registry.rooms.has('room-1'), 5000, 'room to close');
  });

  it('refuses a fourth participant with ROOM_FULL and leaves the room as it was', async () => {
    for (let i = 0; i < 3; i++) await joinRoom(sfu, await client(), 'full');
    const before = state();
    const d = await client();
    const { routerRtpCapabilities } = await d.ok('getRouterRtpCapabilities', {});
    const res = await d.request('join', { roomId: 'full', rtpCapabilities: routerRtpCapabilities });
    expect(res).toMatchObject({ ok: false, error: { code: 'ROOM_FULL' } });
    expect(state()).toBe(before);
  });

  it('refuses a second join on one connection with ALREADY_JOINED', async () => {
    const a = await client();
    await joinRoom(sfu, a, 'r');
    const caps = (await a.ok('getRouterRtpCapabilities', {})).routerRtpCapabilities;
    expect(await a.request('join', { roomId: 'other', rtpCapabilities: caps })).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_JOINED' },
    });
    expect(sfu.registry.rooms.has('other')).toBe(false);
  });

  it('can join again after leave', async () => {
    const a = await client();
    const first = await joinRoom(sfu, a, 'again');
    await a.ok('leave', {});
    const second = await joinRoom(sfu, a, 'again');
    expect(second.peerId).not.toBe(first.peerId);
  });
});

describe('MLS relay', () => {
  it('fans an application envelope out to every other peer of the room, not back, not elsewhere', async () => {
    const [a, b, c, d] = [await client(), await client(), await client(), await client()];
    const ja = await joinRoom(sfu, a, 'relay');
    await joinRoom(sfu, b, 'relay');
    await joinRoom(sfu, c, 'relay');
    await joinRoom(sfu, d, 'elsewhere');
    const room = await mlsRoom(a, 'relay');
    const envelope = room.envelope(300);
    await a.ok('mlsSend', { envelope });
    for (const x of [b, c]) {
      const got = await x.next('mlsMessage');
      expect(got.from).toBe(ja.peerId);
      expect(new Uint8Array(got.envelope)).toEqual(envelope);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(a.received.filter((r) => r.name === 'mlsMessage')).toHaveLength(0);
    expect(d.received.filter((r) => r.name === 'mlsMessage')).toHaveLength(0);
  });

  it('refuses an oversized envelope with TOO_LARGE and relays nothing', async () => {
    const [a, b] = [await client(), await client()];
    await joinRoom(sfu, a, 'r1');
    await joinRoom(sfu, b, 'r1');
    await mlsRoom(a, 'r1');
    const big = new Uint8Array(MLS_MESSAGE_MAX_BYTES + 1);
    expect(await a.request('mlsSend', { envelope: big })).toMatchObject({
      ok: false,
      error: { code: 'TOO_LARGE' },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(b.received.filter((r) => r.name === 'mlsMessage')).toHaveLength(0);
  });
});

describe('bad input', () => {
  it('answers malformed messages with BAD_REQUEST naming the field, and changes nothing', async () => {
    const a = await client();
    await joinRoom(sfu, a, 'bad');
    const before = state();
    const cases: [string, unknown, string][] = [
      ['join', { roomId: 'x y', rtpCapabilities: {} }, '$.roomId'],
      ['join', { roomId: 'x' }, '$.rtpCapabilities'],
      ['createTransport', { direction: 'sideways' }, '$.direction'],
      ['createTransport', { direction: 'send', extra: 1 }, '$.extra'],
      ['mlsSend', { envelope: 'not bytes' }, '$.envelope'],
      ['consume', 'a string', '$'],
      ['setConsumerLayers', { consumerId: 'abc', spatialLayer: 9 }, '$.spatialLayer'],
    ];
    for (const [event, message, path] of cases) {
      const res = await a.raw(event, message);
      expect(res, event).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      if (!res.ok) expect(res.error.message).toContain(path);
    }
    expect(state()).toBe(before);
  });

  it('answers unknown events with UNKNOWN_EVENT', async () => {
    const a = await client();
    expect(await a.raw('dropDatabase', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_EVENT' },
    });
  });

  it('refuses requests that need a room before join with NOT_JOINED', async () => {
    const a = await client();
    const id = '00000000-0000-0000-0000-000000000000';
    for (const [event, message] of [
      ['createTransport', { direction: 'send' }],
      ['consume', { transportId: id, producerId: id }],
      ['mlsSend', { envelope: new Uint8Array([1]) }],
      ['resumeConsumer', { consumerId: id }],
    ] as const) {
      expect(await a.raw(event, message), event).toMatchObject({
        ok: false,
        error: { code: 'NOT_JOINED' },
      });
    }
    expect(sfu.registry.rooms.size).toBe(0);
  });

  it('refuses media requests on unknown or closed objects with NOT_FOUND, and the wrong direction', async () => {
    const a = await client();
    await joinRoom(sfu, a, 'objs');
    const send = await a.ok('createTransport', { direction: 'send' });
    const recv = await a.ok('createTransport', { direction: 'recv' });
    const id = '00000000-0000-0000-0000-000000000000';
    expect(
      await a.request('consume', { transportId: recv.transportId, producerId: id }),
    ).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(
      await a.request('consume', { transportId: send.transportId, producerId: id }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE' },
    });
    // Close the send transport on the server, then produce on it.
    sfu.registry.rooms
      .get('objs')!
      .peers.values()
      .next()
      .value!.transports.get(send.transportId)!
      .close();
    const before = state();
    const res = await a.request('produce', {
      transportId: send.transportId,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: { codecs: [], encodings: [] },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(state()).toBe(before);
  });

  it('refuses invalid RTP and DTLS parameters with MEDIA_REJECTED and keeps the transport usable', async () => {
    const a = await client();
    await joinRoom(sfu, a, 'params');
    const send = await a.ok('createTransport', { direction: 'send' });
    const before = state();
    const produce = await a.request('produce', {
      transportId: send.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: {
        codecs: [{ mimeType: 'video/NOPE', payloadType: 300, clockRate: -1 }],
        encodings: [],
      },
    });
    expect(produce).toMatchObject({ ok: false, error: { code: 'MEDIA_REJECTED' } });
    const connect = await a.raw('connectTransport', {
      transportId: send.transportId,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'md1', value: 'zz' }] },
    });
    expect(connect).toMatchObject({ ok: false, error: { code: 'MEDIA_REJECTED' } });
    expect(state()).toBe(before);
  });

  it('rate-limits a flooding socket with RATE_LIMITED and keeps serving others', async () => {
    await sfu.close();
    sfu = await startSfu({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '5' });
    const a = await client();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => a.raw('getRouterRtpCapabilities', {})),
    );
    const limited = results.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length;
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(limited).toBe(15);
    const b = await client();
    expect((await b.raw('getRouterRtpCapabilities', {})).ok).toBe(true);
  });

  it('closes a socket that sends a frame above the transport limit, without affecting others', async () => {
    const a = await client();
    const b = await client();
    await joinRoom(sfu, b, 'big');
    const closed = new Promise<string>((resolve) => a.socket.once('disconnect', resolve));
    void a.raw('mlsSend', { envelope: new Uint8Array(512 * 1024) }).catch(() => undefined);
    expect(await closed).toBeTruthy();
    expect((await b.raw('getRouterRtpCapabilities', {})).ok).toBe(true);
  });
});
