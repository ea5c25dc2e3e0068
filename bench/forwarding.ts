/**
 * SFU forwarding capacity: synthetic RTP producers (~1 Mbit/s each: 100 packets/s of 1,250 bytes)
 * fanned out to N consumers per producer on one mediasoup worker. Prints the worker's CPU (share
 * of one core, from getrusage deltas) for increasing consumer counts, CPU per consumer, and the
 * consumers one core carries below 80 %. Consumers send to a bound UDP socket that nobody reads,
 * so the bench measures the worker's forwarding, SRTP encryption and sending, not a Node receiver.
 *
 * Anchor: mediasoup's documentation gives ~500 consumers per worker.
 *
 *   npx tsx bench/forwarding.ts [--seconds 4] [--producers 4]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';

const PACKETS_PER_SECOND = 100;
const PAYLOAD_BYTES = 1250 - 12;
/** 30 bytes of SRTP master key + salt, base64; any value works for a sink that never decrypts. */
const SRTP_KEY = Buffer.alloc(30, 7).toString('base64');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** A UDP port that accepts and never reads: the kernel drops what overflows its buffer. */
async function blackHole(): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn('python3', [
    '-c',
    'import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("127.0.0.1",0))\nprint(s.getsockname()[1],flush=True)\ntime.sleep(3600)',
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('error', reject);
  });
  return { port, proc };
}

async function cpuMs(worker: types.Worker): Promise<number> {
  const u = await worker.getResourceUsage();
  return u.ru_utime + u.ru_stime;
}

/** Bytes the egress transports actually sent (measured, not nominal). */
async function bytesSent(transports: types.PlainTransport[]): Promise<number> {
  let sum = 0;
  for (const t of transports) sum += (await t.getStats())[0]?.bytesSent ?? 0;
  return sum;
}

interface Row {
  consumers: number;
  mbitOut: number;
  cpuPct: number;
}

export async function main(): Promise<Row[]> {
  const seconds = arg('seconds', 4);
  const producers = arg('producers', 4);
  const steps = [0, 50, 100, 150, 200, 250, 300, 400];
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  const router = await worker.createRouter({
    mediaCodecs: [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 }],
  });
  const sink = await blackHole();
  const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
  const feeds: { port: number; ssrc: number; producer: types.Producer }[] = [];
  for (let i = 0; i < producers; i++) {
    const t = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
    const ssrc = 1000 + i;
    const producer = await t.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
        encodings: [{ ssrc }],
      },
    });
    feeds.push({ port: t.tuple.localPort, ssrc, producer });
  }

  // Send ~1 Mbit/s per producer, in 10 ms ticks.
  const sender = dgram.createSocket('udp4');
  let seq = 0;
  // Every packet is a whole VP8 key frame: mediasoup forwards video to a new consumer only once
  // it has seen a key frame, and this keeps every consumer forwarding from its first second.
  // Descriptor 0x10 (S=1, partition 0); frame tag with P=0 (key frame), start code 9d 01 2a,
  // 640x360.
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0xab);
  Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]).copy(payload);
  const tick = setInterval(() => {
    seq = (seq + 1) & 0xffff;
    for (const f of feeds) {
      const h = Buffer.alloc(12);
      h[0] = 0x80;
      h[1] = 0x80 | 96; // marker: each packet ends its frame
      h.writeUInt16BE(seq, 2);
      h.writeUInt32BE((seq * 900) >>> 0, 4);
      h.writeUInt32BE(f.ssrc, 8);
      sender.send([h, payload], f.port, '127.0.0.1');
    }
  }, 1000 / PACKETS_PER_SECOND);

  const rows: Row[] = [];
  const egress: types.PlainTransport[] = [];
  let total = 0;
  for (const target of steps) {
    while (total < target) {
      // SRTP on egress, as a WebRTC consumer would have: the per-packet encryption is part of
      // the real forwarding cost.
      const t = await router.createPlainTransport({
        listenInfo,
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
      });
      await t.connect({
        ip: '127.0.0.1',
        port: sink.port,
        srtpParameters: { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: SRTP_KEY },
      });
      egress.push(t);
      const f = feeds[total % feeds.length]!;
      await t.consume({
        producerId: f.producer.id,
        rtpCapabilities: router.rtpCapabilities,
        paused: false,
      });
      total++;
    }
    await new Promise((r) => setTimeout(r, 1000)); // settle
    const b0 = await bytesSent(egress);
    const c0 = await cpuMs(worker);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const c1 = await cpuMs(worker);
    const wall = performance.now() - t0;
    const b1 = await bytesSent(egress);
    const row = {
      consumers: total,
      mbitOut: ((b1 - b0) * 8) / (wall / 1000) / 1e6,
      cpuPct: ((c1 - c0) / wall) * 100,
    };
    rows.push(row);
    process.stderr.write(`  ${row.consumers} consumers: ${row.cpuPct.toFixed(1)} % CPU\n`);
    // Past 80 % of a core the worker starts to fall behind: stop there.
    if (row.cpuPct > 80) break;
  }
  clearInterval(tick);
  sender.close();
  sink.proc.kill();
  worker.close();

  const base = rows[0]!.cpuPct;
  const last = rows[rows.length - 1]!;
  const perConsumer = (last.cpuPct - base) / last.consumers;
  console.log(
    `\nSFU forwarding capacity (1 worker, ${producers} producers at ~1 Mbit/s, ${seconds} s per step)\n`,
  );
  console.log('| consumers | egress Mbit/s (measured, SRTP) | worker CPU (% of one core) | CPU per consumer (%) |');
  console.log('|---:|---:|---:|---:|');
  for (const r of rows) {
    const pc = r.consumers === 0 ? '—' : ((r.cpuPct - base) / r.consumers).toFixed(3);
    console.log(`| ${r.consumers} | ${r.mbitOut.toFixed(0)} | ${r.cpuPct.toFixed(1)} | ${pc} |`);
  }
  const capacity = perConsumer > 0 ? Math.floor((80 - base) / perConsumer) : Infinity;
  console.log(
    `\nConsumers per worker core at < 80 % CPU (linear fit): ~${capacity}  (mediasoup docs: ~500)`,
  );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
