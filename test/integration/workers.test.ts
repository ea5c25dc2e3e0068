/**
 * Worker failure: a mediasoup worker killed with SIGKILL is replaced, its rooms' peers are told
 * to reconnect, and the service keeps serving (the same port, new joins, healthy /healthz).
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

it('places rooms on the least-loaded worker', async () => {
  const a = await TestClient.connect(sfu);
  const b = await TestClient.connect(sfu);
  await joinRoom(sfu, a, 'one');
  await joinRoom(sfu, b, 'two');
  const slots = [...sfu.registry.rooms.values()].map((r) => r.slot.index).sort();
  expect(slots).toEqual([0, 1]);
  a.close();
  b.close();
});

it('replaces a killed worker and tells its peers to reconnect', async () => {
  const a = await TestClient.connect(sfu);
  const b = await TestClient.connect(sfu);
  const other = await TestClient.connect(sfu);
  await joinRoom(sfu, a, 'doomed');
  await joinRoom(sfu, b, 'doomed');
  await joinRoom(sfu, other, 'survivor');
  const room = sfu.registry.rooms.get('doomed')!;
  const slot = room.slot.index;
  const oldPid = room.slot.worker.pid;

  process.kill(oldPid, 'SIGKILL');

  expect(await a.next('reconnect')).toEqual({ reason: 'WORKER_DIED' });
  expect(await b.next('reconnect')).toEqual({ reason: 'WORKER_DIED' });
  await until(
    () => sfu.pool.workers[slot]!.worker.pid !== oldPid && !sfu.pool.workers[slot]!.worker.closed,
    20_000,
    'replacement worker',
  );
  expect(sfu.registry.rooms.has('doomed')).toBe(false);
  // The room on the other worker is untouched.
  expect(sfu.registry.rooms.get('survivor')?.peers.size).toBe(1);
  expect(other.received.some((r) => r.name === 'reconnect')).toBe(false);

  // The peers can join again right away, on a live worker, with a WebRTC transport.
  await joinRoom(sfu, a, 'doomed');
  expect((await a.ok('createTransport', { direction: 'send' })).transportId).toBeTruthy();
  const health = await fetch(`${sfu.url}/healthz`);
  expect(health.status).toBe(200);
  a.close();
  b.close();
  other.close();
});
