/**
 * Fast simulcast failover (sfu/media/LayerWatch.ts) against a real mediasoup worker: a two-layer
 * VP8 producer is fed over a PlainTransport; when the top layer stops while the lower one goes
 * on, the consumer's preferred spatial layer is capped to the lower one (mediasoup itself never
 * changes preferred layers: only LayerWatch can have done it); when the top layer comes back, the
 * receiver's own request is restored; a sender that stops entirely is not capped. Each case runs
 * with the consumer on the producer's router and on another worker's, through a pipe.
 */
import dgram from 'node:dgram';
import type { types } from 'mediasoup';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LayerWatch } from '../../sfu/media/LayerWatch.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { consumeToSocket, startSfu, until } from './harness/sfu.js';

let sfu: Sfu;
const sockets: dgram.Socket[] = [];
let watch: LayerWatch | null = null;
beforeEach(async () => {
  sfu = await startSfu({ NUM_WORKERS: '2' });
});
afterEach(async () => {
  watch?.close();
  for (const s of sockets.splice(0)) s.close();
  await sfu.close();
});

const SSRCS = [0x1111_0000, 0x2222_0000] as const;
const PT = 96;

/** An RTP packet carrying a minimal VP8 frame (RFC 7741 descriptor with S=1, then the frame tag). */
function vp8Packet(ssrc: number, seq: number, keyFrame: boolean): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 0x80 | PT; // marker: one packet per frame
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((seq * 3000) >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  const descriptor = Buffer.from([0x10]); // S=1, partition 0
  const frame = keyFrame
    ? // frame tag (P=0: key frame, show_frame), start code 9d 01 2a, 160x90
      Buffer.from([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 160, 0, 90, 0])
    : Buffer.from([0x11, 0x02, 0x00]);
  return Buffer.concat([header, descriptor, frame, Buffer.alloc(100, 0xaa)]);
}

/**
 * An RTCP sender report (RFC 3550 §6.4.1) for `ssrc` at packet `seq`: mediasoup switches between
 * simulcast streams only once it can map their timestamps to one clock.
 */
function senderReport(ssrc: number, seq: number): Buffer {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80; // V=2, no reception reports
  sr[1] = 200; // SR
  sr.writeUInt16BE(6, 2); // length in 32-bit words minus one
  sr.writeUInt32BE(ssrc, 4);
  const ms = Date.now();
  sr.writeUInt32BE(Math.floor(ms / 1000) + 2_208_988_800, 8); // NTP seconds
  sr.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0, 12); // NTP fraction
  sr.writeUInt32BE((seq * 3000) >>> 0, 16); // RTP timestamp of the same instant
  sr.writeUInt32BE(seq, 20);
  sr.writeUInt32BE(seq * 114, 24);
  return sr;
}

/** `across`: the consumer is on worker 1, the producer on worker 0 (the room's home). */
async function setUp(across: boolean): Promise<{
  consumer: types.Consumer;
  sending: Set<number>;
  capped: number[];
  stop: () => void;
}> {
  const room = await sfu.registry.getOrCreate('layers');
  const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
  const ingress = await room.router.createPlainTransport({
    listenInfo,
    rtcpMux: true,
    comedia: true,
  });
  const producer = await ingress.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: PT, clockRate: 90000 }],
      encodings: SSRCS.map((ssrc) => ({ ssrc })),
    },
  });
  expect(LayerWatch.appliesTo(producer)).toBe(true);
  const sink = dgram.createSocket('udp4');
  sockets.push(sink);
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  let router = room.router;
  if (across) {
    router = await room.routerOn(sfu.pool.workers[1]!);
    await room.pipes.acquire(producer, room.router, router);
    expect(router).not.toBe(room.router);
  }
  const consumer = await consumeToSocket(router, producer.id, sink);
  expect(consumer.type).toBe('simulcast');
  watch = new LayerWatch(producer, { pollMs: 50, stallMs: 250, resumeMs: 400 });
  const capped: number[] = [];
  watch.on('capped', (layer) => capped.push(layer));
  watch.add(consumer);

  const sender = dgram.createSocket('udp4');
  sockets.push(sender);
  const sending = new Set<number>([0, 1]);
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    for (const layer of sending) {
      const packet = vp8Packet(SSRCS[layer]!, seq, seq % 10 === 1);
      sender.send(packet, ingress.tuple.localPort, '127.0.0.1');
      if (seq % 10 === 0) {
        sender.send(senderReport(SSRCS[layer]!, seq), ingress.tuple.localPort, '127.0.0.1');
      }
    }
  }, 20);
  return { consumer, sending, capped, stop: () => clearInterval(timer) };
}

describe.each([
  ['on the same worker', false],
  ['on another worker, through a pipe', true],
])('a consumer %s', (_where, across) => {
  it('caps consumers to the highest live layer when the top layer stops, and lifts the cap when it returns', async () => {
    const { consumer, sending, capped, stop } = await setUp(across);
    try {
      await until(() => consumer.currentLayers?.spatialLayer === 1, 5000, 'top layer forwarded');
      expect(watch!.currentCap).toBeNull();

      sending.delete(1); // the sender's browser drops its top layer
      await until(() => consumer.preferredLayers?.spatialLayer === 0, 5000, 'cap to layer 0');
      expect(watch!.currentCap).toBe(0);
      await until(() => capped.length > 0, 1000, 'capped event'); // the room asks the sender for a key frame
      expect(capped).toEqual([0]);
      await until(() => consumer.currentLayers?.spatialLayer === 0, 5000, 'switched to layer 0');

      // The whole sender stalls for a moment (its machine is busy): the cap stays where it was.
      sending.delete(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(watch!.currentCap).toBe(0);
      expect(consumer.preferredLayers?.spatialLayer).toBe(0);
      sending.add(0);

      // The receiver asks for the top layer meanwhile: kept, but still capped while it is gone.
      await watch!.setRequested(consumer, { spatialLayer: 1, temporalLayer: 0 });
      expect(consumer.preferredLayers).toEqual({ spatialLayer: 0, temporalLayer: 0 });

      sending.add(1);
      await until(() => consumer.preferredLayers?.spatialLayer === 1, 5000, 'cap lifted');
      expect(consumer.preferredLayers).toEqual({ spatialLayer: 1, temporalLayer: 0 });
      expect(watch!.currentCap).toBeNull();

      // A sender that goes quiet on every layer (paused, muted) is not a layer switch: nothing changes.
      sending.clear();
      await new Promise((r) => setTimeout(r, 600));
      expect(watch!.currentCap).toBeNull();
      expect(consumer.preferredLayers?.spatialLayer).toBe(1);
      expect(capped).toEqual([0]); // one stop, one request: lifting and holding the cap ask nothing
    } finally {
      stop();
    }
  });

  it('never caps while every layer keeps sending', async () => {
    const { consumer, capped, stop } = await setUp(across);
    try {
      await until(() => consumer.currentLayers?.spatialLayer === 1, 5000, 'top layer forwarded');
      await new Promise((r) => setTimeout(r, 800));
      expect(watch!.currentCap).toBeNull();
      expect(capped).toEqual([]);
      expect(consumer.preferredLayers?.spatialLayer).toBe(1);
    } finally {
      stop();
    }
  });
});
