/**
 * Every SRTP crypto suite the worker offers, through the libsrtp the worker recipe builds in
 * (scripts/worker/: libsrtp 2 from Debian's source, against OpenSSL). For each suite, RTP goes
 * from a producer on one worker through an SRTP PlainTransport to an SRTP PlainTransport on a
 * second worker (so the worker's libsrtp both protects and unprotects), and out in clear to a
 * socket. Between the two workers a relay records the wire:
 * - what arrives at the end is byte-identical to what went in;
 * - on the wire every packet is the plain packet plus the suite's tag (10, 4 or 16 bytes), with
 *   the payload not in clear;
 * - where werift (an independent SRTP implementation) has the suite, it decrypts the recorded
 *   packets with the sender's keys to the same bytes.
 */
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  SrtpSession,
} from 'werift';
import { until } from './harness/sfu.js';

const SUITES: {
  suite: types.SrtpCryptoSuite;
  tagBytes: number;
  keyBytes: number;
  saltBytes: number;
  weriftProfile?: number;
}[] = [
  {
    suite: 'AES_CM_128_HMAC_SHA1_80',
    tagBytes: 10,
    keyBytes: 16,
    saltBytes: 14,
    weriftProfile: ProtectionProfileAes128CmHmacSha1_80,
  },
  { suite: 'AES_CM_128_HMAC_SHA1_32', tagBytes: 4, keyBytes: 16, saltBytes: 14 },
  {
    suite: 'AEAD_AES_128_GCM',
    tagBytes: 16,
    keyBytes: 16,
    saltBytes: 12,
    weriftProfile: ProtectionProfileAeadAes128Gcm,
  },
  { suite: 'AEAD_AES_256_GCM', tagBytes: 16, keyBytes: 32, saltBytes: 12 },
];

const PACKETS = 50;
const PAYLOAD_BYTES = 160;
const SSRC = 0x0bad_cafe;
const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
const opus = { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 } as const;

function rtpPacket(seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = opus.payloadType;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 960, 4);
  header.writeUInt32BE(SSRC, 8);
  return Buffer.concat([header, payload]);
}

/** Payloads that are easy to tell apart and to find: packet index, then a counter pattern. */
function payloadOf(i: number): Buffer {
  const p = Buffer.alloc(PAYLOAD_BYTES);
  for (let j = 0; j < p.length; j++) p[j] = (i * 7 + j) & 0xff;
  return p;
}

/** RTP header length: fixed part, CSRCs and the header extension the worker may add. */
function headerLength(packet: Buffer): number {
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  return offset;
}

const payloadHex = (packet: Buffer): string =>
  packet.subarray(headerLength(packet)).toString('hex');

const isRtcp = (packet: Buffer): boolean => {
  const type = packet[1]! & 0x7f;
  return type >= 64 && type <= 95;
};

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

let workers: types.Worker[] = [];
const sockets: dgram.Socket[] = [];
beforeEach(async () => {
  workers = [
    await mediasoup.createWorker({ logLevel: 'warn' }),
    await mediasoup.createWorker({ logLevel: 'warn' }),
  ];
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const w of workers.splice(0)) w.close();
});

describe('SRTP suites through the worker built here', () => {
  it.each(SUITES)(
    '$suite: byte-identical across two workers, tagged on the wire',
    async ({ suite, tagBytes, keyBytes, saltBytes, weriftProfile }) => {
      const [a, b] = workers as [types.Worker, types.Worker];
      const routerA = await a.createRouter({ mediaCodecs: [{ ...opus, kind: 'audio' }] });
      const routerB = await b.createRouter({ mediaCodecs: [{ ...opus, kind: 'audio' }] });
      const caps = routerA.rtpCapabilities;

      const ingress = await routerA.createPlainTransport({
        listenInfo,
        rtcpMux: true,
        comedia: true,
      });
      const producer = await ingress.produce({
        kind: 'audio',
        rtpParameters: { codecs: [opus], encodings: [{ ssrc: SSRC }] },
      });
      const out = await routerA.createPlainTransport({
        listenInfo,
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite: suite,
      });
      const hopConsumer = await out.consume({ producerId: producer.id, rtpCapabilities: caps });
      const into = await routerB.createPlainTransport({
        listenInfo,
        rtcpMux: true,
        comedia: true,
        enableSrtp: true,
        srtpCryptoSuite: suite,
      });
      expect(out.srtpParameters?.cryptoSuite).toBe(suite);
      const senderKey = Buffer.from(out.srtpParameters!.keyBase64, 'base64');
      expect(senderKey.length).toBe(keyBytes + saltBytes);
      await into.connect({ srtpParameters: out.srtpParameters! });
      const relayed = await into.produce({
        kind: 'audio',
        rtpParameters: hopConsumer.rtpParameters,
      });

      // The wire between the workers: record, then pass on.
      const relay = await socket();
      const sink = await socket();
      sockets.push(relay, sink);
      const wire: Buffer[] = [];
      relay.on('message', (msg) => {
        if (isRtcp(msg)) return;
        wire.push(msg);
        relay.send(msg, into.tuple.localPort, '127.0.0.1');
      });
      await out.connect({
        ip: '127.0.0.1',
        port: relay.address().port,
        srtpParameters: into.srtpParameters!,
      });

      const received: Buffer[] = [];
      sink.on('message', (msg) => {
        if (!isRtcp(msg)) received.push(msg);
      });
      const exit = await routerB.createPlainTransport({
        listenInfo,
        rtcpMux: true,
        comedia: false,
      });
      await exit.connect({ ip: '127.0.0.1', port: sink.address().port });
      await exit.consume({ producerId: relayed.id, rtpCapabilities: caps });

      const sender = await socket();
      sockets.push(sender);
      const sent: Buffer[] = [];
      for (let i = 0; i < PACKETS; i++) {
        const packet = rtpPacket(1000 + i, payloadOf(i));
        sent.push(packet);
        sender.send(packet, ingress.tuple.localPort, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 5));
      }
      await until(() => received.length >= PACKETS, 10_000, `${PACKETS} packets through ${suite}`);

      // Out of the second worker: the payloads that went in, in order.
      expect(received.map(payloadHex)).toEqual(sent.map(payloadHex));

      // On the wire (the RTP header stays in clear in SRTP): header + payload + the suite's tag,
      // and no payload in clear.
      expect(wire.length).toBeGreaterThanOrEqual(PACKETS);
      const sentPayloads = new Set(sent.map(payloadHex));
      for (const w of wire) {
        const header = headerLength(w);
        expect(w.length).toBe(header + PAYLOAD_BYTES + tagBytes);
        expect(sentPayloads.has(w.subarray(header, header + PAYLOAD_BYTES).toString('hex'))).toBe(
          false,
        );
      }

      // An independent implementation agrees, where it has the suite.
      if (weriftProfile !== undefined) {
        const key = senderKey.subarray(0, keyBytes);
        const salt = senderKey.subarray(keyBytes);
        const session = new SrtpSession({
          profile: weriftProfile,
          keys: {
            localMasterKey: key,
            localMasterSalt: salt,
            remoteMasterKey: key,
            remoteMasterSalt: salt,
          },
        });
        const decrypted = wire.slice(0, PACKETS).map((w) => payloadHex(session.decrypt(w)));
        expect(decrypted).toEqual(sent.map(payloadHex));
      }
      void hopConsumer;
    },
  );
});
