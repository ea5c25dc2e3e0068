/**
 * Operators' metrics (sfu/metrics.ts) over real sockets against a real worker: the counters
 * (joins, leaves, refusals by code, reconnects, worker deaths, client decrypt-failure reports),
 * the latency histograms, bitrates per worker and node from real RTP, the pipe-transport gauge,
 * and /metrics behind a bearer token or on its own port.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MEDIA_CODECS } from '../../sfu/media/codecs.js';
import type { Sfu } from '../../sfu/Sfu.js';
import {
  consumeToSocket,
  joinRoom,
  plainOpusProducer,
  startSfu,
  TestClient,
  until,
} from './harness/sfu.js';
import { rtpPacket } from './harness/rtp.js';

let sfu: Sfu | undefined;
const cleanup: (() => void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) f();
  await sfu?.close();
  sfu = undefined;
});

async function scrape(
  url = `${sfu!.url}/metrics`,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample, e.g. `value(text, 'blindcall_joins_total')`; NaN if absent. */
function value(text: string, sample: string): number {
  const escaped = sample.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} ([\\d.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

describe('metrics', () => {
  it('counts joins, leaves and refusals, and times requests and joins', async () => {
    sfu = await startSfu();
    const a = await TestClient.connect(sfu);
    const b = await TestClient.connect(sfu);
    await joinRoom(sfu, a, 'm1');
    await joinRoom(sfu, b, 'm1');
    expect((await a.request('leave', {})).ok).toBe(true);
    // Two refusals with two different codes.
    expect(await a.request('createTransport', { direction: 'send' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_JOINED' },
    });
    expect(await a.raw('join', { roomId: 'bad room!' }, undefined)).toBeDefined();
    b.close();
    await until(() => sfu!.registry.rooms.size === 0, 10_000, 'room closed');

    const text = await scrape();
    expect(value(text, 'blindcall_joins_total')).toBe(2);
    expect(value(text, 'blindcall_leaves_total')).toBe(2);
    expect(value(text, 'blindcall_requests_refused_total{code="NOT_JOINED"}')).toBe(1);
    expect(value(text, 'blindcall_requests_refused_total{code="BAD_REQUEST"}')).toBe(1);
    expect(value(text, 'blindcall_join_duration_seconds_count')).toBe(2);
    expect(value(text, 'blindcall_join_duration_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(value(text, 'blindcall_join_duration_seconds_sum')).toBeGreaterThan(0);
    expect(value(text, 'blindcall_request_duration_seconds_count{request="join"}')).toBe(3);
    expect(
      value(text, 'blindcall_request_duration_seconds_count{request="getRouterRtpCapabilities"}'),
    ).toBe(2);
    expect(value(text, 'blindcall_request_duration_seconds_count{request="leave"}')).toBe(1);
    // A made-up event name is one "other" series, not a new label value per name.
    await a.raw('made-up-event-1', {});
    await a.raw('made-up-event-2', {});
    const after = await scrape();
    expect(value(after, 'blindcall_request_duration_seconds_count{request="other"}')).toBe(2);
    expect(after).not.toContain('made-up-event');
    a.close();
  });

  it('counts worker deaths and the reconnects they cause, with no pid label', async () => {
    sfu = await startSfu();
    const a = await TestClient.connect(sfu);
    await joinRoom(sfu, a, 'm2');
    const before = await scrape();
    expect(value(before, 'blindcall_worker_deaths_total{worker="0"}')).toBe(0);
    const pid = sfu.pool.workers[0]!.worker.pid;
    process.kill(pid, 'SIGKILL');
    expect(await a.next('reconnect')).toEqual({ reason: 'WORKER_DIED' });
    await until(() => sfu!.pool.workers[0]!.worker.pid !== pid, 20_000, 'worker replaced');
    const text = await scrape();
    expect(value(text, 'blindcall_worker_deaths_total{worker="0"}')).toBe(1);
    expect(value(text, 'blindcall_reconnects_total{reason="WORKER_DIED"}')).toBe(1);
    expect(value(text, 'blindcall_leaves_total')).toBe(1);
    expect(text).not.toContain('pid=');
    a.close();
  });

  it('adds up client decrypt-failure reports by reason, only from joined peers', async () => {
    sfu = await startSfu();
    const a = await TestClient.connect(sfu);
    expect(
      await a.request('reportDecryptFailures', { counts: [{ reason: 'AUTH_FAILED', count: 3 }] }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
    await joinRoom(sfu, a, 'm3');
    await a.ok('reportDecryptFailures', {
      counts: [
        { reason: 'AUTH_FAILED', count: 3 },
        { reason: 'UNKNOWN_KID', count: 1 },
      ],
    });
    await a.ok('reportDecryptFailures', { counts: [{ reason: 'AUTH_FAILED', count: 2 }] });
    // A reason outside the closed list, or a peer id smuggled in, is refused.
    for (const bad of [
      { counts: [{ reason: 'SOMETHING_ELSE', count: 1 }] },
      { counts: [{ reason: 'REPLAY', count: 1, peerId: 'x' }] },
      { counts: [{ reason: 'REPLAY', count: 0 }] },
    ]) {
      expect(await a.raw('reportDecryptFailures', bad)).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
    }
    const text = await scrape();
    expect(value(text, 'blindcall_client_decrypt_failures_total{reason="AUTH_FAILED"}')).toBe(5);
    expect(value(text, 'blindcall_client_decrypt_failures_total{reason="UNKNOWN_KID"}')).toBe(1);
    expect(text).not.toMatch(/blindcall_client_decrypt_failures_total\{reason="REPLAY"\}/);
    a.close();
  });

  it('shows ingress and egress bitrate per worker and node, and counts pipe transports', async () => {
    sfu = await startSfu();
    const worker = sfu.pool.workers[0]!.worker;
    const room = await sfu.registry.getOrCreate('m4');
    const ssrc = 0x2345_6789;
    const { ingress, producer } = await plainOpusProducer(room.router, ssrc);
    const receiver = dgram.createSocket('udp4');
    await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', r));
    await consumeToSocket(room.router, producer.id, receiver);
    const sender = dgram.createSocket('udp4');
    cleanup.push(
      () => sender.close(),
      () => receiver.close(),
    );
    let seq = 0;
    const payload = new Uint8Array(400).fill(7);
    const timer = setInterval(() => {
      for (let i = 0; i < 5; i++)
        sender.send(rtpPacket(seq++, ssrc, payload), ingress.tuple.localPort, '127.0.0.1');
    }, 20);
    cleanup.push(() => clearInterval(timer));

    const plain = (dir: string): string =>
      `blindcall_worker_bitrate_bits_per_second{worker="0",direction="${dir}",transport="plain"}`;
    let text = '';
    const deadline = Date.now() + 15_000;
    do {
      await new Promise((r) => setTimeout(r, 250));
      text = await scrape();
    } while (
      !(value(text, plain('ingress')) > 0 && value(text, plain('egress')) > 0) &&
      Date.now() < deadline
    );
    // ~250 packets/s of ~412 bytes: some 800 kbit/s each way; only "more than nothing" is asserted.
    expect(value(text, plain('ingress'))).toBeGreaterThan(0);
    expect(value(text, plain('egress'))).toBeGreaterThan(0);
    expect(value(text, plain('ingress').replace('plain', 'webrtc'))).toBe(0);
    // Node totals are over WebRTC transports (its clients); plain transports are not clients.
    expect(value(text, 'blindcall_node_bitrate_bits_per_second{direction="ingress"}')).toBe(0);
    expect(value(text, 'blindcall_pipe_transports{worker="0"}')).toBe(0);

    // Pipe a producer to a second router on the same worker: one pipe transport on each side.
    const other = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    cleanup.push(() => other.close());
    // keepId: false, because both routers are on one worker, where ids must be unique.
    await room.router.pipeToRouter({ producerId: producer.id, router: other, keepId: false });
    text = await scrape();
    expect(value(text, 'blindcall_pipe_transports{worker="0"}')).toBe(2);
    // mediasoup closes both ends of a pipe when either router closes.
    other.close();
    text = await scrape();
    expect(value(text, 'blindcall_pipe_transports{worker="0"}')).toBe(0);
  });

  it('wants the bearer token when METRICS_TOKEN is set', async () => {
    const token = 'scrape-token-0123456789abcdef';
    sfu = await startSfu({ METRICS_TOKEN: token });
    for (const authorization of [
      undefined,
      'Bearer wrong-token-0123456789',
      `Basic ${token}`,
      token,
    ]) {
      const res = await fetch(`${sfu.url}/metrics`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status, String(authorization)).toBe(401);
      expect(await res.text()).not.toContain('blindcall_');
    }
    const text = await scrape(undefined, { authorization: `Bearer ${token}` });
    expect(text).toMatch(/^blindcall_rooms 0$/m);
    // /healthz stays open for load balancers.
    expect((await fetch(`${sfu.url}/healthz`)).status).toBe(200);
  });

  it('serves /metrics only on METRICS_PORT when it is set', async () => {
    // METRICS_PORT=0 means "on the main port" (the default), so find a free port first.
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    sfu = await startSfu({ METRICS_PORT: String(free), METRICS_HOST: '127.0.0.1' });
    expect(sfu.metricsUrl).toBe(`http://127.0.0.1:${free}`);
    expect((await fetch(`${sfu.url}/metrics`)).status).toBe(404);
    expect(await scrape(`${sfu.metricsUrl}/metrics`)).toMatch(/^blindcall_rooms 0$/m);
    expect((await fetch(`${sfu.metricsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${sfu.metricsUrl}/`)).status).toBe(404);
  });
});
