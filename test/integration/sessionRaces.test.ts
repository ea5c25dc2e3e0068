/**
 * Races between a socket's requests and its own disconnect, found by the signalling fuzz: a socket
 * that closes while its join is still creating the room must not leave a peer (or the room, or
 * its router) behind.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { census, settle } from '../fuzz/census.js';
import { startSfu, TestClient } from './harness/sfu.js';

let sfu: Sfu;
beforeEach(async () => {
  sfu = await startSfu();
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
