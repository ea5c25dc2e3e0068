/**
 * What a pipe between two workers costs: the same consumers fed (a) from a producer on their own
 * worker and (b) from a producer on another worker through `pipeToRouter()`, as a room that spans
 * workers does (sfu/media/ProducerPipes.ts). Synthetic VP8 producers (~1 Mbit/s each: 100
 * packets/s of 1,250 bytes) on worker A; N consumers with SRTP egress to a UDP port nobody reads.
 * Prints each worker's CPU (share of one core, from getrusage deltas) and the CPU per forwarded
 * packet, both cases alternating over rounds on fresh workers.
 *
 *   scripts/node tsx bench/pipes.ts [--seconds 4] [--producers 4] [--consumers 100] [--rounds 2]
 */
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { blackHole } from './udpSink.js';

const PACKETS_PER_SECOND = 100;
const PAYLOAD_BYTES = 1250 - 12;
/** 30 bytes of SRTP master key + salt, base64; any value works for a sink that never decrypts. */
const SRTP_KEY = Buffer.alloc(30, 7).toString('base64');
const CODECS: types.RouterRtpCodecCapability[] = [
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

async function cpuMs(worker: types.Worker): Promise<number> {
  const u = await worker.getResourceUsage();
  return u.ru_utime + u.ru_stime;
}

interface Result {
  mode: 'same worker' | 'piped';
  cpuA: number;
  cpuB: number;
  /** Packets the consumers sent per second (measured). */
  forwardedPps: number;
}

async function run(mode: Result['mode'], sinkPort: number): Promise<Result> {
  const seconds = arg('seconds', 4);
  const producers = arg('producers', 4);
  const consumers = arg('consumers', 100);
  const workerA = await mediasoup.createWorker({ logLevel: 'error' });
  const workerB = await mediasoup.createWorker({ logLevel: 'error' });
  try {
    const a = await workerA.createRouter({ mediaCodecs: CODECS });
    const b = await workerB.createRouter({ mediaCodecs: CODECS });
    const out = mode === 'piped' ? b : a;
    const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
    const feeds: { port: number; ssrc: number; producer: types.Producer }[] = [];
    for (let i = 0; i < producers; i++) {
      const t = await a.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
      const ssrc = 1000 + i;
      const producer = await t.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
          encodings: [{ ssrc }],
        },
      });
      if (mode === 'piped') await a.pipeToRouter({ producerId: producer.id, router: b });
      feeds.push({ port: t.tuple.localPort, ssrc, producer });
    }
    const egress: types.Consumer[] = [];
    for (let i = 0; i < consumers; i++) {
      const t = await out.createPlainTransport({
        listenInfo,
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
      });
      await t.connect({
        ip: '127.0.0.1',
        port: sinkPort,
        srtpParameters: { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: SRTP_KEY },
      });
      egress.push(
        await t.consume({
          producerId: feeds[i % feeds.length]!.producer.id,
          rtpCapabilities: out.rtpCapabilities,
        }),
      );
    }
    // Every packet is a whole VP8 key frame, so every consumer forwards from its first second.
    const payload = Buffer.alloc(PAYLOAD_BYTES, 0xab);
    Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]).copy(payload);
    const sender = dgram.createSocket('udp4');
    let seq = 0;
    const tick = setInterval(() => {
      seq = (seq + 1) & 0xffff;
      for (const f of feeds) {
        const h = Buffer.alloc(12);
        h[0] = 0x80;
        h[1] = 0x80 | 96;
        h.writeUInt16BE(seq, 2);
        h.writeUInt32BE((seq * 900) >>> 0, 4);
        h.writeUInt32BE(f.ssrc, 8);
        sender.send([h, payload], f.port, '127.0.0.1');
      }
    }, 1000 / PACKETS_PER_SECOND);
    try {
      await new Promise((r) => setTimeout(r, 1500)); // settle
      const sent = async (): Promise<number> => {
        let n = 0;
        for (const c of egress)
          n += (await c.getStats()).find((st) => st.type === 'outbound-rtp')?.packetCount ?? 0;
        return n;
      };
      const [p0, a0, b0, t0] = [
        await sent(),
        await cpuMs(workerA),
        await cpuMs(workerB),
        Date.now(),
      ];
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const [a1, b1, t1] = [await cpuMs(workerA), await cpuMs(workerB), Date.now()];
      const p1 = await sent();
      const ms = t1 - t0;
      return {
        mode,
        cpuA: ((a1 - a0) / ms) * 100,
        cpuB: ((b1 - b0) / ms) * 100,
        forwardedPps: ((p1 - p0) / ms) * 1000,
      };
    } finally {
      clearInterval(tick);
      sender.close();
    }
  } finally {
    workerA.close();
    workerB.close();
  }
}

export async function main(): Promise<void> {
  const rounds = arg('rounds', 2);
  const sink = await blackHole();
  const results: Result[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      // Alternate which case goes first, so drift on a shared machine falls on both.
      const order: Result['mode'][] =
        r % 2 === 0 ? ['same worker', 'piped'] : ['piped', 'same worker'];
      for (const mode of order) results.push(await run(mode, sink.port));
    }
  } finally {
    sink.proc.kill();
  }
  const usPerPacket = (x: Result): number => ((x.cpuA + x.cpuB) / 100 / x.forwardedPps) * 1e6;
  console.log(
    `${arg('producers', 4)} producers × ~1 Mbit/s on worker A, ${arg('consumers', 100)} consumers ` +
      `(SRTP), ${arg('seconds', 4)} s per run`,
  );
  console.log(
    '| case | worker A CPU % | worker B CPU % | forwarded packets/s | CPU µs per forwarded packet |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const x of results) {
    console.log(
      `| ${x.mode} | ${x.cpuA.toFixed(1)} | ${x.cpuB.toFixed(1)} | ${x.forwardedPps.toFixed(0)} | ${usPerPacket(x).toFixed(2)} |`,
    );
  }
  const mean = (mode: Result['mode']): number => {
    const xs = results.filter((x) => x.mode === mode).map(usPerPacket);
    return xs.reduce((s, v) => s + v, 0) / xs.length;
  };
  const overhead = (mean('piped') / mean('same worker') - 1) * 100;
  console.log(
    `\npiped costs ${overhead.toFixed(1)} % more CPU per forwarded packet than same-worker ` +
      `consumers (mean of ${rounds} rounds each; target < 10 %)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
