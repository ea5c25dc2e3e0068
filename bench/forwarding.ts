/**
 * SFU forwarding capacity: synthetic RTP producers (~1 Mbit/s each: 100 packets/s of 1,250 bytes)
 * fanned out to N consumers per producer on one mediasoup worker. Prints the worker's CPU (share
 * of one core, from getrusage deltas) for increasing consumer counts, CPU per consumer, and the
 * consumers one core carries below 80 %. Consumers send to a bound UDP socket that nobody reads,
 * so the bench measures the worker's forwarding, SRTP encryption and sending, not a Node receiver.
 *
 * Anchor: mediasoup's documentation gives ~500 consumers per worker.
 *
 * It names the SRTP library the worker uses. `--compare-srtp` measures the installed worker
 * (libsrtp built in, against OpenSSL) and the `debian-libsrtp2` comparison build of the same
 * mediasoup (Debian's libsrtp2 package, built against NSS; made once by
 * scripts/worker/ensure-worker.mjs, then cached) in one run, alternating which goes first.
 *
 *   scripts/node tsx bench/forwarding.ts [--seconds 4] [--producers 4] [--compare-srtp [--rounds 2]]
 *   FW_STEPS=0,100,200 (consumer counts)
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { blackHole } from './udpSink.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INSTALLED_WORKER = path.join(
  ROOT,
  'node_modules/mediasoup/worker/out/Release/mediasoup-worker',
);

const PACKETS_PER_SECOND = 100;
const PAYLOAD_BYTES = 1250 - 12;
/** 30 bytes of SRTP master key + salt, base64; any value works for a sink that never decrypts. */
const SRTP_KEY = Buffer.alloc(30, 7).toString('base64');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** A saturated worker answers its channel late or never: give up rather than hang. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what}: no answer in ${ms} ms (worker saturated)`)),
        ms,
      ).unref(),
    ),
  ]);
}

async function cpuMs(worker: types.Worker): Promise<number> {
  const u = await within(worker.getResourceUsage(), 20_000, 'getResourceUsage');
  return u.ru_utime + u.ru_stime;
}

/** Bytes the egress transports actually sent (measured, not nominal). */
async function bytesSent(transports: types.PlainTransport[]): Promise<number> {
  let sum = 0;
  for (const t of transports)
    sum += (await within(t.getStats(), 20_000, 'getStats'))[0]?.bytesSent ?? 0;
  return sum;
}

interface Row {
  consumers: number;
  /** What the consumers should send given the packets actually fed in. */
  expectedMbit: number;
  mbitOut: number;
  cpuPct: number;
}

interface Fit {
  rows: Row[];
  /** % of a core per 1 Mbit/s consumer (least-squares slope). */
  perConsumer: number;
  /** Consumers one core carries below 80 %. */
  capacity: number;
}

/**
 * What SRTP code a worker binary runs: Debian's shared libsrtp2 (NSS), or libsrtp built in (the
 * recipe builds it with OpenSSL; its version string is in the binary).
 */
export function srtpLibrary(workerBin: string): string {
  const ldd = execFileSync('ldd', [workerBin], { encoding: 'utf8' });
  const shared = /(libsrtp2\.so[^\s]*) => (\S+)/.exec(ldd);
  if (shared) return `Debian libsrtp2, shared (${shared[1]}, NSS)`;
  const builtIn = /libsrtp2? (\d+\.\d+\.\d+)/.exec(readFileSync(workerBin).toString('latin1'));
  return builtIn ? `libsrtp ${builtIn[1]}, built in (OpenSSL)` : 'unknown';
}

async function measure(workerBin: string): Promise<Fit> {
  const seconds = arg('seconds', 4);
  const producers = arg('producers', 4);
  const steps = (process.env.FW_STEPS ?? '0,50,100,150,200').split(',').map(Number);
  const worker = await mediasoup.createWorker({ logLevel: 'error', workerBin });
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

  // Send ~1 Mbit/s per producer, in 10 ms ticks. The feed pauses while consumers are added so
  // set-up requests are not queued behind a busy worker.
  const sender = dgram.createSocket('udp4');
  let seq = 0;
  // Every packet is a whole VP8 key frame: mediasoup forwards video to a new consumer only once
  // it has seen a key frame, and this keeps every consumer forwarding from its first second.
  // Descriptor 0x10 (S=1, partition 0); frame tag with P=0 (key frame), start code 9d 01 2a,
  // 640x360.
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0xab);
  Buffer.from([0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]).copy(payload);
  let tick: NodeJS.Timeout | undefined;
  let sentPackets = 0;
  const startFeed = (): void => {
    tick = setInterval(() => {
      seq = (seq + 1) & 0xffff;
      for (const f of feeds) {
        const h = Buffer.alloc(12);
        h[0] = 0x80;
        h[1] = 0x80 | 96; // marker: each packet ends its frame
        h.writeUInt16BE(seq, 2);
        h.writeUInt32BE((seq * 900) >>> 0, 4);
        h.writeUInt32BE(f.ssrc, 8);
        sender.send([h, payload], f.port, '127.0.0.1');
        sentPackets++;
      }
    }, 1000 / PACKETS_PER_SECOND);
  };
  const stopFeed = (): void => clearInterval(tick);

  const rows: Row[] = [];
  const egress: types.PlainTransport[] = [];
  let total = 0;
  for (const target of steps) {
    stopFeed();
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
      if (process.env.FW_DEBUG && total % 25 === 0) process.stderr.write(`    created ${total}\n`);
      const f = feeds[total % feeds.length]!;
      await t.consume({
        producerId: f.producer.id,
        rtpCapabilities: router.rtpCapabilities,
        paused: false,
      });
      total++;
    }
    startFeed();
    await new Promise((r) => setTimeout(r, 1500)); // settle
    if (process.env.FW_DEBUG) process.stderr.write('    measuring\n');
    // Per-transport byte counters are read one request at a time: date each sweep by its
    // midpoint.
    const s0 = performance.now();
    const b0 = await bytesSent(egress);
    const tb0 = (s0 + performance.now()) / 2;
    const c0 = await cpuMs(worker);
    const p0 = sentPackets;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const c1 = await cpuMs(worker);
    const wall = performance.now() - t0;
    const ingressPps = (sentPackets - p0) / (wall / 1000) / producers;
    const s1 = performance.now();
    const b1 = await bytesSent(egress);
    const tb1 = (s1 + performance.now()) / 2;
    const row = {
      consumers: total,
      mbitOut: ((b1 - b0) * 8) / ((tb1 - tb0) / 1000) / 1e6,
      cpuPct: ((c1 - c0) / wall) * 100,
      expectedMbit: (total * ingressPps * 1250 * 8) / 1e6,
    };
    rows.push(row);
    process.stderr.write(
      `  ${row.consumers} consumers: ${row.cpuPct.toFixed(1)} % CPU, ${row.mbitOut.toFixed(0)}/${row.expectedMbit.toFixed(0)} Mbit/s, feed ${ingressPps.toFixed(0)} pps per producer\n`,
    );
    // Past 80 % of a core the worker starts to fall behind: stop there.
    if (row.cpuPct > 80) break;
  }
  stopFeed();
  sender.close();
  sink.proc.kill();
  worker.close();

  // Least-squares line through all steps: CPU = base + perConsumer × consumers.
  const n = rows.length;
  const mx = rows.reduce((a, r) => a + r.consumers, 0) / n;
  const my = rows.reduce((a, r) => a + r.cpuPct, 0) / n;
  const perConsumer =
    rows.reduce((a, r) => a + (r.consumers - mx) * (r.cpuPct - my), 0) /
    rows.reduce((a, r) => a + (r.consumers - mx) ** 2, 0);
  const base = my - perConsumer * mx;
  const capacity = perConsumer > 0 ? Math.floor((80 - base) / perConsumer) : Infinity;
  return { rows, perConsumer, capacity };
}

function printFit(fit: Fit, library: string): void {
  const { rows, perConsumer, capacity } = fit;
  console.log(
    `\nSFU forwarding capacity (1 worker, ${arg('producers', 4)} producers at ~1 Mbit/s, ` +
      `${arg('seconds', 4)} s per step; Node ${process.version}, mediasoup ${mediasoup.version}, ` +
      `SRTP: ${library})\n`,
  );
  console.log(
    '| consumers | egress Mbit/s (measured, SRTP) | worker CPU (% of one core) | CPU per consumer (%) |',
  );
  console.log('|---:|---:|---:|---:|');
  for (const r of rows) {
    const pc = r.consumers === 0 ? '—' : ((r.cpuPct - rows[0]!.cpuPct) / r.consumers).toFixed(3);
    console.log(`| ${r.consumers} | ${r.mbitOut.toFixed(0)} | ${r.cpuPct.toFixed(1)} | ${pc} |`);
  }
  console.log(
    `\nWorker CPU per 1 Mbit/s consumer (least-squares fit): ${perConsumer.toFixed(3)} % of a core.\n` +
      `Consumers per worker core at < 80 % CPU: ~${capacity} (mediasoup docs: ~500 per worker).`,
  );
}

/** The comparison build, from the cache or built once (~10 min on 2 cores). */
function comparisonWorker(): string {
  const out = execFileSync(
    process.execPath,
    [path.join(ROOT, 'scripts/worker/ensure-worker.mjs'), '--variant', 'debian-libsrtp2'],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = /mediasoup-worker ready: (\S+)/.exec(out);
  if (!ready?.[1]) throw new Error(`ensure-worker printed no binary path:\n${out}`);
  return ready[1];
}

async function compareSrtp(): Promise<Fit[]> {
  const builds = [
    { bin: INSTALLED_WORKER, library: srtpLibrary(INSTALLED_WORKER) },
    { bin: comparisonWorker(), library: '' },
  ];
  builds[1]!.library = srtpLibrary(builds[1]!.bin);
  const rounds = arg('rounds', 2);
  const results: { library: string; round: number; fit: Fit }[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order, so neither build always runs on a machine warmed up by the other.
    const order = round % 2 === 1 ? builds : [...builds].reverse();
    for (const b of order) {
      process.stderr.write(`round ${round}: ${b.library}\n`);
      results.push({ library: b.library, round, fit: await measure(b.bin) });
    }
  }
  console.log(
    `\nSRTP library, side by side (one run; Node ${process.version}, mediasoup ${mediasoup.version}, ` +
      `${arg('producers', 4)} producers at ~1 Mbit/s, ${arg('seconds', 4)} s per step)\n`,
  );
  console.log('| SRTP library | round | CPU per 1 Mbit/s consumer | consumers per core < 80 % |');
  console.log('|---|---:|---:|---:|');
  for (const r of [...results].sort(
    (a, b) => a.library.localeCompare(b.library) || a.round - b.round,
  )) {
    console.log(
      `| ${r.library} | ${r.round} | ${r.fit.perConsumer.toFixed(3)} % | ${r.fit.capacity} |`,
    );
  }
  const mean = (library: string): number => {
    const mine = results.filter((r) => r.library === library);
    return mine.reduce((a, r) => a + r.fit.perConsumer, 0) / mine.length;
  };
  console.log(
    `\nConsumers per core, ${builds[0]!.library} over ${builds[1]!.library}: ` +
      `${(mean(builds[1]!.library) / mean(builds[0]!.library)).toFixed(2)}× (ratio of mean CPU per consumer).`,
  );
  return results.map((r) => r.fit);
}

export async function main(): Promise<Fit[]> {
  if (process.argv.includes('--compare-srtp')) return compareSrtp();
  const fit = await measure(INSTALLED_WORKER);
  printFit(fit, srtpLibrary(INSTALLED_WORKER));
  return [fit];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
