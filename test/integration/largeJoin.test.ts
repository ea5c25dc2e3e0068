/**
 * Joining a full room (50 participants) against the default signalling rate limit. A newcomer's
 * requests, as the web client sends them (web/call/CallAttempt.ts consumes every producer at
 * once; Subscriber resumes each consumer; tiles set the layer of each video; MlsSession joins the
 * group by external commit):
 *
 *   getRouterRtpCapabilities, join                                    2
 *   createTransport ×2, connectTransport ×2, produce ×2 (mic, cam)    6
 *   consume + resumeConsumer for 49 × 2 producers                   196
 *   setConsumerLayers for 49 videos                                  49
 *   mlsGroupInfo, mlsCommit (external join), mlsReady, mlsSend         4
 *                                                                   ---
 *                                                                   257
 *
 * With the old defaults (burst 200, 50/s) about a hundred of those were refused, and a refused
 * consume was never retried: that feed was missing for the whole call. The defaults are now sized
 * from this (sfu/config.ts DEFAULT_RATE_LIMIT), and the client retries what is refused for rate.
 */
import { afterEach, expect, it } from 'vitest';
import type { Ack, ResponseOf } from '../../shared/protocol/index.js';
import { DEFAULT_RATE_LIMIT } from '../../sfu/config.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { SignallingClient } from '../../web/call/SignallingClient.js';
import { DTLS_PARAMETERS, rtpParameters } from '../fuzz/signallingOps.js';
import { mlsRoom, type MlsTestRoom } from './harness/mlsRoom.js';
import { joinRoom, refusedCount, startSfu, TestClient } from './harness/sfu.js';

const PARTICIPANTS = 50;
let sfu: Sfu;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sfu.close();
});

/** 49 participants, each sending a microphone and a (simulcast) camera. */
async function fillRoom(roomId: string): Promise<string[]> {
  const producers: string[] = [];
  for (let batch = 0; batch < PARTICIPANTS - 1; batch += 7) {
    await Promise.all(
      Array.from({ length: Math.min(7, PARTICIPANTS - 1 - batch) }, async (_, j) => {
        const c = await TestClient.connect(sfu);
        clients.push(c);
        await joinRoom(sfu, c, roomId);
        const { transportId } = await c.ok('createTransport', { direction: 'send' });
        for (const video of [false, true]) {
          const ssrc = 10_000 + (batch + j) * 10 + (video ? 5 : 0);
          const { producerId } = await c.ok('produce', {
            transportId,
            kind: video ? 'video' : 'audio',
            rtpParameters: rtpParameters(video, ssrc) as never,
            source: video ? 'camera' : 'microphone',
          });
          producers.push(producerId);
        }
      }),
    );
  }
  return producers;
}

/** The newcomer's join, every request sent as soon as the client would; returns the answers. */
async function newcomer(
  send: (name: string, msg: unknown) => Promise<Ack<unknown>>,
  roomId: string,
  group: MlsTestRoom,
): Promise<Ack<unknown>[]> {
  const answers: Ack<unknown>[] = [];
  const ask = async <T>(name: string, msg: unknown): Promise<T | null> => {
    const a = await send(name, msg);
    answers.push(a);
    return a.ok ? (a.data as T) : null;
  };
  const caps = await ask<ResponseOf<'getRouterRtpCapabilities'>>('getRouterRtpCapabilities', {});
  const joined = await ask<ResponseOf<'join'>>('join', {
    roomId,
    rtpCapabilities: caps!.routerRtpCapabilities,
  });
  const [sendT, recvT] = await Promise.all(
    (['send', 'recv'] as const).map((direction) =>
      ask<ResponseOf<'createTransport'>>('createTransport', { direction }),
    ),
  );
  await Promise.all([
    ...[sendT!, recvT!].map((t) =>
      ask('connectTransport', { transportId: t.transportId, dtlsParameters: DTLS_PARAMETERS }),
    ),
    ...[false, true].map((video) =>
      ask('produce', {
        transportId: sendT!.transportId,
        kind: video ? 'video' : 'audio',
        rtpParameters: rtpParameters(video, 90_000 + (video ? 5 : 0)),
        source: video ? 'camera' : 'microphone',
      }),
    ),
    ...joined!.producers.map(async (p) => {
      const c = await ask<ResponseOf<'consume'>>('consume', {
        transportId: recvT!.transportId,
        producerId: p.producerId,
      });
      if (c === null) return;
      await ask('resumeConsumer', { consumerId: c.consumerId });
      if (c.kind === 'video')
        await ask('setConsumerLayers', { consumerId: c.consumerId, spatialLayer: 1 });
    }),
    (async () => {
      const gi = await ask<ResponseOf<'mlsGroupInfo'>>('mlsGroupInfo', {});
      const joinedAt = await ask<ResponseOf<'mlsCommit'>>(
        'mlsCommit',
        group.commitRequest(gi!.epoch!),
      );
      await ask('mlsReady', { epoch: joinedAt!.epoch });
      await ask('mlsSend', { envelope: group.envelope(600, BigInt(joinedAt!.epoch)) });
    })(),
  ]);
  return answers;
}

it('a newcomer to a 50-person room is not rate-limited by the defaults', async () => {
  sfu = await startSfu();
  expect(sfu.config.rateLimit).toEqual(DEFAULT_RATE_LIMIT);
  const producers = await fillRoom('large');
  const group = await mlsRoom(clients[0]!, 'large');
  expect(producers).toHaveLength((PARTICIPANTS - 1) * 2);
  const c = await TestClient.connect(sfu);
  clients.push(c);
  const answers = await newcomer((name, msg) => c.raw(name, msg), 'large', group);
  expect(answers).toHaveLength(257);
  expect(answers.filter((a) => !a.ok)).toEqual([]);
  const room = sfu.registry.rooms.get('large')!;
  expect(room.peers.size).toBe(PARTICIPANTS);
  const me = [...room.peers.values()].at(-1)!;
  expect(me.consumers.size).toBe(98);
  expect([...me.consumers.values()].every((k) => !k.paused)).toBe(true);
});

it('under a tighter limit, the web client retries what is refused and gets every feed', async () => {
  // A burst far below the join's 257 requests, refilled at 100/s.
  sfu = await startSfu({ RATE_LIMIT_BURST: '60', RATE_LIMIT_PER_SECOND: '100' });
  await fillRoom('tight');
  const group = await mlsRoom(clients[0]!, 'tight');
  const refusedBefore = await refusedCount(sfu, 'RATE_LIMITED');
  const signalling = new SignallingClient(sfu.url);
  try {
    await signalling.connect();
    const send = (name: string, msg: unknown): Promise<Ack<unknown>> =>
      (signalling.request as (n: string, m: unknown) => Promise<unknown>)(name, msg).then(
        (data) => ({ ok: true as const, data }),
        (err: { code: 'INTERNAL'; message: string }) => ({
          ok: false as const,
          error: { code: err.code, message: err.message },
        }),
      );
    const answers = await newcomer(send, 'tight', group);
    expect(answers.filter((a) => !a.ok)).toEqual([]);
    const me = [...sfu.registry.rooms.get('tight')!.peers.values()].at(-1)!;
    expect(me.consumers.size).toBe(98);
    expect([...me.consumers.values()].every((k) => !k.paused)).toBe(true);
    // The server did refuse some: the retries are what got them through.
    expect(await refusedCount(sfu, 'RATE_LIMITED')).toBeGreaterThan(refusedBefore);
  } finally {
    signalling.close();
  }
});
