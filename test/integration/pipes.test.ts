/**
 * One room across two workers: a producer on worker A reaches a consumer on worker B through a
 * pipe (mediasoup's pipeToRouter). RTP arrives byte-identical (payload); pause, resume and
 * key-frame requests pass through; the pipe closes when the last consumer through it leaves and
 * when its source producer closes; an idle router (no peer left on its worker) closes too.
 */
import dgram from 'node:dgram';
import type { types } from 'mediasoup';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { census, settle } from '../fuzz/census.js';
import { rtpParameters } from '../fuzz/signallingOps.js';
import { consumeToSocket, joinRoom, startSfu, TestClient, until } from './harness/sfu.js';
import { isPli, isRtcp, rtpPacket, rtpPayload } from './harness/rtp.js';

let sfu: Sfu;
const sockets: dgram.Socket[] = [];
beforeEach(async () => {
  sfu = await startSfu({ NUM_WORKERS: '2' });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await sfu.close();
});

async function udpSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

/** A room with a router on each worker, and a PlainTransport producer on worker 0's. */
async function twoRouters(kind: 'audio' | 'video'): Promise<{
  a: types.Router;
  b: types.Router;
  ingress: types.PlainTransport;
  producer: types.Producer;
  ssrc: number;
  pt: number;
}> {
  const room = await sfu.registry.getOrCreate('piped');
  const a = await room.routerOn(sfu.pool.workers[0]!);
  const b = await room.routerOn(sfu.pool.workers[1]!);
  const ingress = await a.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: true,
  });
  const ssrc = 0x0abc_0001;
  const pt = kind === 'audio' ? 111 : 96;
  const producer = await ingress.produce({
    kind,
    rtpParameters: {
      codecs:
        kind === 'audio'
          ? [{ mimeType: 'audio/opus', payloadType: pt, clockRate: 48000, channels: 2 }]
          : [
              {
                mimeType: 'video/VP8',
                payloadType: pt,
                clockRate: 90000,
                rtcpFeedback: [{ type: 'nack', parameter: 'pli' }],
              },
            ],
      encodings: [{ ssrc }],
    },
  });
  return { a, b, ingress, producer, ssrc, pt };
}

it('RTP injected into worker A arrives byte-identical at a consumer on worker B', async () => {
  const { a, b, ingress, producer, ssrc, pt } = await twoRouters('audio');
  const room = sfu.registry.rooms.get('piped')!;
  const release = await room.pipes.acquire(producer, a, b);
  const piped = room.pipes.pipeProducer(producer.id, b)!;
  expect(piped.id).toBe(producer.id);
  // The consumer really is on the other worker's router.
  const workerB = sfu.pool.workers[1]!.worker;
  expect((await workerB.dump()).routerIds).toContain(b.id);
  expect((await sfu.pool.workers[0]!.worker.dump()).routerIds).not.toContain(b.id);

  const receiver = await udpSocket();
  const received: Buffer[] = [];
  receiver.on('message', (m) => {
    if (!isRtcp(m)) received.push(m);
  });
  const consumer = await consumeToSocket(b, producer.id, receiver);
  const sender = await udpSocket();
  const payloads = Array.from({ length: 50 }, (_, i) =>
    Uint8Array.from({ length: 40 + i }, (_, j) => (i * 31 + j * 7) & 0xff),
  );
  for (let i = 0; i < payloads.length; i++) {
    sender.send(
      rtpPacket(1000 + i, ssrc, payloads[i]!, { pt }),
      ingress.tuple.localPort,
      '127.0.0.1',
    );
    await new Promise((r) => setTimeout(r, 5));
  }
  await until(() => received.length >= payloads.length, 5000, 'forwarded packets');
  expect(received.map((p) => rtpPayload(p).toString('hex'))).toEqual(
    payloads.map((p) => Buffer.from(p).toString('hex')),
  );
  expect(received[0]!.readUInt32BE(8)).toBe(consumer.rtpParameters.encodings![0]!.ssrc);
  consumer.close();
  release();
  expect(room.pipes.size).toBe(0);
  expect(piped.closed).toBe(true);
});

it('pause, resume and key-frame requests pass through the pipe', async () => {
  const { a, b, ingress, producer, ssrc, pt } = await twoRouters('video');
  const room = sfu.registry.rooms.get('piped')!;
  const release = await room.pipes.acquire(producer, a, b);
  const receiver = await udpSocket();
  let rtp = 0;
  receiver.on('message', (m) => {
    if (!isRtcp(m)) rtp++;
  });
  const consumer = await consumeToSocket(b, producer.id, receiver);
  const sender = await udpSocket();
  let plis = 0;
  sender.on('message', (m) => {
    if (isRtcp(m) && isPli(m)) plis++;
  });
  let seq = 0;
  // VP8 (RFC 7741): a descriptor with S=1, then a frame tag; a key frame every 10 frames, since
  // a video consumer forwards again after a resume only from a key frame.
  const delta = Buffer.from([0x10, 0x11, 0x02, 0x00, ...new Array<number>(60).fill(0xaa)]);
  const key = Buffer.from([0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 160, 0, 90, 0]);
  const timer = setInterval(() => {
    const frame = seq % 10 === 0 ? key : delta;
    sender.send(
      rtpPacket(seq++, ssrc, frame, { pt: 0x80 | pt }),
      ingress.tuple.localPort,
      '127.0.0.1',
    );
  }, 20);
  try {
    await until(() => rtp > 5, 5000, 'video through the pipe');

    await producer.pause();
    await until(() => consumer.producerPaused, 5000, 'pause reached the far consumer');
    await new Promise((r) => setTimeout(r, 200));
    const whilePaused = rtp;
    await new Promise((r) => setTimeout(r, 300));
    expect(rtp).toBe(whilePaused); // nothing forwarded while paused
    await producer.resume();
    await until(() => !consumer.producerPaused, 5000, 'resume reached the far consumer');
    await until(() => rtp > whilePaused + 5, 5000, 'video again after resume');

    // The consumer asked for a key frame when it was created; mediasoup holds repeats for 1 s.
    await new Promise((r) => setTimeout(r, 1200));
    const before = plis;
    await consumer.requestKeyFrame();
    await until(() => plis > before, 5000, 'a PLI back at the sender on worker A');
  } finally {
    clearInterval(timer);
  }
  consumer.close();
  release();
});

it('a pipe opened by signalling closes when its last consumer leaves, and with its producer', async () => {
  const before = await census(sfu);
  const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => TestClient.connect(sfu)));
  await joinRoom(sfu, a!, 'signalled');
  const room = sfu.registry.rooms.get('signalled')!;
  // Placement: a on worker 0 (home), b on 1, c on 0 (a tie goes to the lower index), d on 1.
  const ids = [(await joinRoom(sfu, b!, 'signalled')).peerId];
  await joinRoom(sfu, c!, 'signalled');
  ids.push((await joinRoom(sfu, d!, 'signalled')).peerId);
  const [pb, pd] = ids.map((id) => room.peers.get(id)!);
  expect([pb!.slot.index, pd!.slot.index]).toEqual([1, 1]);
  const far = pb!.router;
  expect(pd!.router).toBe(far);

  const send = await a!.ok('createTransport', { direction: 'send' });
  const { producerId } = await a!.ok('produce', {
    transportId: send.transportId,
    kind: 'audio',
    rtpParameters: rtpParameters(false, 7000) as never,
    source: 'microphone',
  });
  expect(room.pipes.pipeProducer(producerId, far)).toBeNull();
  const recvB = await b!.ok('createTransport', { direction: 'recv' });
  const { consumerId } = await b!.ok('consume', { transportId: recvB.transportId, producerId });
  const pipe = room.pipes.pipeProducer(producerId, far)!;
  expect(pipe).not.toBeNull();
  // A second consumer on the same far router shares the pipe.
  const recvD = await d!.ok('createTransport', { direction: 'recv' });
  await d!.ok('consume', { transportId: recvD.transportId, producerId });
  expect(room.pipes.pipeProducer(producerId, far)).toBe(pipe);
  expect(room.pipes.size).toBe(1);
  // Pausing the source reaches b through the pipe.
  await a!.ok('pauseProducer', { producerId });
  expect(await b!.next('consumerPaused')).toEqual({ consumerId });

  b!.close();
  await until(() => room.peers.size === 3, 5000, 'b gone');
  expect(pipe.closed).toBe(false); // d still consumes through it
  d!.close();
  await until(() => pipe.closed, 5000, 'pipe closed after the last consumer left');
  expect(room.pipes.size).toBe(0);
  await until(() => room.slots.length === 1, 5000, 'the idle router on worker 1 closed');
  expect(far.closed).toBe(true);

  // A new far consumer opens a new pipe; closing the source producer closes it.
  const e = await TestClient.connect(sfu);
  const je = await joinRoom(sfu, e, 'signalled');
  const pe = room.peers.get(je.peerId)!;
  expect(pe.slot.index).toBe(1);
  const recvE = await e.ok('createTransport', { direction: 'recv' });
  const consumed = await e.ok('consume', { transportId: recvE.transportId, producerId });
  const pipe2 = room.pipes.pipeProducer(producerId, pe.router)!;
  expect(pipe2).not.toBeNull();
  await a!.ok('closeProducer', { producerId });
  expect(await e.next('consumerClosed')).toEqual({ consumerId: consumed.consumerId });
  await until(() => pipe2.closed && room.pipes.size === 0, 5000, 'pipe closed with its producer');

  for (const client of [a!, c!, e]) client.close();
  expect(await settle(sfu, before, 10_000)).toEqual(before);
});

it('a socket that disconnects while its join waits for a router leaves no peer or router', async () => {
  const a = await TestClient.connect(sfu);
  await joinRoom(sfu, a, 'stays');
  const idle = await census(sfu);
  const room = sfu.registry.rooms.get('stays')!;
  const { routerRtpCapabilities } = await a.ok('getRouterRtpCapabilities', {});
  for (let i = 0; i < 5; i++) {
    const c = await TestClient.connect(sfu);
    // Placed on worker 1, where the room has no router yet: the disconnect arrives while the
    // router is being made.
    c.request('join', { roomId: 'stays', rtpCapabilities: routerRtpCapabilities }).catch(
      () => undefined,
    );
    c.socket.disconnect();
  }
  const after = await settle(sfu, { ...idle }, 5000);
  expect(after).toEqual(idle);
  expect(room.peers.size).toBe(1);
  expect(room.slots).toEqual([0]);
  expect(sfu.pool.workers.map((w) => w.peers)).toEqual([1, 0]);
  a.close();
});
