/**
 * Workers: each peer is placed on the worker that forwards least (consumers, not rooms); a
 * mediasoup worker killed with SIGKILL is replaced, the peers placed on it are told to reconnect
 * while the rest of their room goes on, and the service keeps serving (the same port, new joins,
 * healthy /healthz).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { joinRoom, startSfu, TestClient, until } from './harness/sfu.js';

let sfu: Sfu;
beforeEach(async () => {
  sfu = await startSfu({ NUM_WORKERS: '2' });
});
afterEach(async () => {
  await sfu.close();
});

function workerOf(roomId: string, peerId: string): number {
  return sfu.registry.rooms.get(roomId)!.peers.get(peerId)!.slot.index;
}

it('places each peer on the least-loaded worker by what it forwards, not by room count', async () => {
  const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => TestClient.connect(sfu)));
  const ja = await joinRoom(sfu, a!, 'one');
  const jb = await joinRoom(sfu, b!, 'one');
  // One room, two workers: the second peer goes where nobody is yet.
  expect([workerOf('one', ja.peerId), workerOf('one', jb.peerId)]).toEqual([0, 1]);
  expect(sfu.registry.rooms.get('one')!.slots.sort()).toEqual([0, 1]);
  const jc = await joinRoom(sfu, c!, 'two');
  expect(workerOf('two', jc.peerId)).toBe(0); // a tie goes to the lower index
  // Worker 0 now has two rooms and two peers, worker 1 one of each. Give worker 1 three
  // consumers (what it forwards) and the next peer goes to worker 0 all the same.
  const room = sfu.registry.rooms.get('one')!;
  const router1 = await room.routerOn(sfu.pool.workers[1]!);
  const ingress = await router1.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    comedia: true,
  });
  const producer = await ingress.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 4242 }],
    },
  });
  const egress = await router1.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
  });
  for (let i = 0; i < 3; i++)
    await egress.consume({ producerId: producer.id, rtpCapabilities: router1.rtpCapabilities });
  expect(sfu.pool.workers[1]!.consumers).toBe(3);
  expect(sfu.pool.workers.map((w) => w.load)).toEqual([2, 4]);
  const jd = await joinRoom(sfu, d!, 'one');
  expect(workerOf('one', jd.peerId)).toBe(0);
  // The load is given back when peers leave.
  ingress.close();
  egress.close();
  for (const client of [a, b, c, d]) client!.close();
  await until(() => sfu.pool.workers.every((w) => w.load === 0), 5000, 'load back to zero');
});

it('replaces a killed worker: its peers reconnect, the rest of the room goes on', async () => {
  const a = await TestClient.connect(sfu);
  const b = await TestClient.connect(sfu);
  const other = await TestClient.connect(sfu);
  const ja = await joinRoom(sfu, a, 'doomed');
  const jb = await joinRoom(sfu, b, 'doomed');
  await joinRoom(sfu, other, 'survivor');
  expect(workerOf('doomed', ja.peerId)).toBe(0); // the room's home worker
  expect(workerOf('doomed', jb.peerId)).toBe(1);

  // b's worker dies: b must reconnect; a sees it leave, and stays.
  const pid1 = sfu.pool.workers[1]!.worker.pid;
  process.kill(pid1, 'SIGKILL');
  expect(await b.next('reconnect')).toEqual({ reason: 'WORKER_DIED' });
  expect(await a.next('peerLeft')).toEqual({ peerId: jb.peerId });
  expect(sfu.registry.rooms.get('doomed')?.peers.size).toBe(1);
  expect(a.received.some((r) => r.name === 'reconnect')).toBe(false);
  await until(
    () => sfu.pool.workers[1]!.worker.pid !== pid1 && !sfu.pool.workers[1]!.worker.closed,
    20_000,
    'replacement worker',
  );
  // b joins again right away, on a live worker, with a WebRTC transport.
  await joinRoom(sfu, b, 'doomed');
  expect((await b.ok('createTransport', { direction: 'send' })).transportId).toBeTruthy();

  // The home worker dies: the room (and the other room on it) closes; everyone reconnects.
  const pid0 = sfu.pool.workers[0]!.worker.pid;
  process.kill(pid0, 'SIGKILL');
  expect(await a.next('reconnect')).toEqual({ reason: 'WORKER_DIED' });
  expect(await b.next('reconnect')).toEqual({ reason: 'WORKER_DIED' });
  expect(await other.next('reconnect')).toEqual({ reason: 'WORKER_DIED' });
  expect(sfu.registry.rooms.has('doomed')).toBe(false);
  await until(
    () => sfu.pool.workers[0]!.worker.pid !== pid0 && !sfu.pool.workers[0]!.worker.closed,
    20_000,
    'replacement worker',
  );
  await joinRoom(sfu, a, 'doomed');
  const health = await fetch(`${sfu.url}/healthz`);
  expect(health.status).toBe(200);
  a.close();
  b.close();
  other.close();
});
