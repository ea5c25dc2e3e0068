/**
 * Races found by the signalling fuzz: a socket that closes while its join is still creating the
 * room must not leave a peer (or the room, or its router) behind; a transport connects once; and a
 * consumer whose producer is closing is NOT_FOUND, not a server fault.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { census, settle } from '../fuzz/census.js';
import { DTLS_PARAMETERS, rtpParameters } from '../fuzz/signallingOps.js';
import { joinRoom, startSfu, TestClient } from './harness/sfu.js';

const DTLS = DTLS_PARAMETERS as never;

let sfu: Sfu;
beforeEach(async () => {
  sfu = await startSfu({ RATE_LIMIT_PER_SECOND: '10000', RATE_LIMIT_BURST: '10000' });
});
afterEach(async () => {
  await sfu.close();
});

it('a socket that disconnects during its join leaves no peer, room or router behind', async () => {
  const idle = await census(sfu);
  const c = await TestClient.connect(sfu);
  const { routerRtpCapabilities } = await c.ok('getRouterRtpCapabilities', {});
  for (let i = 0; i < 5; i++) {
    const client = i === 0 ? c : await TestClient.connect(sfu);
    // The join packet, then the close: the room's router is still being created when the
    // disconnect arrives.
    client
      .request('join', { roomId: `race-${i}`, rtpCapabilities: routerRtpCapabilities })
      .catch(() => undefined); // the socket is gone: no answer
    client.socket.disconnect();
  }
  const after = await settle(sfu, idle, 5000);
  expect(after).toEqual(idle);
  expect(sfu.registry.rooms.size).toBe(0);
});

it('a second connectTransport is INVALID_STATE, not a server fault', async () => {
  const c = await TestClient.connect(sfu);
  await joinRoom(sfu, c, 'connect-twice');
  const { transportId } = await c.ok('createTransport', { direction: 'send' });
  const connect = () => c.request('connectTransport', { transportId, dtlsParameters: DTLS });
  // Sequential: dtlsState stays 'new' until ICE, so the old check let the second one through.
  expect((await connect()).ok).toBe(true);
  expect(await connect()).toMatchObject({ ok: false, error: { code: 'INVALID_STATE' } });
  // Racing: exactly one wins.
  const t2 = await c.ok('createTransport', { direction: 'recv' });
  const both = await Promise.all(
    [0, 1].map(() =>
      c.request('connectTransport', { transportId: t2.transportId, dtlsParameters: DTLS }),
    ),
  );
  expect(both.map((r) => (r.ok ? 'ok' : r.error.code)).sort()).toEqual(['INVALID_STATE', 'ok']);
  c.close();
});

it('requests on a consumer whose producer is closing get ok or NOT_FOUND, never INTERNAL', async () => {
  const a = await TestClient.connect(sfu);
  const b = await TestClient.connect(sfu);
  await joinRoom(sfu, a, 'closing');
  await joinRoom(sfu, b, 'closing');
  const send = await a.ok('createTransport', { direction: 'send' });
  const recv = await b.ok('createTransport', { direction: 'recv' });
  const codes = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const { producerId } = await a.ok('produce', {
      transportId: send.transportId,
      kind: 'audio',
      rtpParameters: rtpParameters(false, 5000 + i) as never,
      source: 'microphone',
    });
    const { consumerId } = await b.ok('consume', { transportId: recv.transportId, producerId });
    const answers = await Promise.all([
      a.request('closeProducer', { producerId }),
      ...[0, 1, 2, 3].map(() => b.request('resumeConsumer', { consumerId })),
      ...[0, 1, 2, 3].map(() => b.request('pauseConsumer', { consumerId })),
    ]);
    for (const r of answers.slice(1)) {
      const code = r.ok ? 'ok' : r.error.code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  }
  expect([...codes.keys()].filter((c) => c !== 'ok' && c !== 'NOT_FOUND')).toEqual([]);
  a.close();
  b.close();
});
