/**
 * Prometheus text exposition (format 0.0.4) for /metrics: rooms, peers, transports, producers,
 * consumers, per-worker CPU, rejected requests by code. Counts are read on scrape, not kept on
 * the media path.
 */
import type { WorkerPool } from './media/WorkerPool.js';
import type { RoomRegistry } from './rooms/RoomRegistry.js';
import { sessionStats } from './signalling/Session.js';

interface Sample {
  labels?: Record<string, string | number>;
  value: number;
}

function family(name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const labels = s.labels
      ? `{${Object.entries(s.labels)
          .map(([k, v]) => `${k}="${String(v).replace(/[\\"\n]/g, '_')}"`)
          .join(',')}}`
      : '';
    lines.push(`${name}${labels} ${s.value}`);
  }
  return lines.join('\n');
}

export async function renderMetrics(
  pool: WorkerPool,
  registry: RoomRegistry,
  sockets: number,
): Promise<string> {
  let peers = 0;
  let transports = 0;
  let producers = 0;
  let consumers = 0;
  for (const room of registry.rooms.values()) {
    peers += room.peers.size;
    for (const peer of room.peers.values()) {
      transports += peer.transports.size;
      producers += peer.producers.size;
      consumers += peer.consumers.size;
    }
  }
  const cpu: Sample[] = [];
  const rooms: Sample[] = [];
  await Promise.all(
    pool.workers.map(async (slot) => {
      rooms.push({ labels: { worker: slot.index }, value: slot.load });
      if (slot.worker.closed) return;
      try {
        const usage = await slot.worker.getResourceUsage();
        // ru_utime/ru_stime are milliseconds of CPU time since the worker started.
        cpu.push({
          labels: { worker: slot.index, pid: slot.worker.pid },
          value: (usage.ru_utime + usage.ru_stime) / 1000,
        });
      } catch {
        // The worker died between listing and asking; the next scrape shows its replacement.
      }
    }),
  );
  const rejected = [...sessionStats.rejected].map(([code, value]) => ({ labels: { code }, value }));
  return (
    [
      family('sfu_rooms', 'gauge', 'Open rooms.', [{ value: registry.rooms.size }]),
      family('sfu_worker_rooms', 'gauge', 'Rooms placed on each mediasoup worker.', rooms),
      family('sfu_peers', 'gauge', 'Joined peers.', [{ value: peers }]),
      family('sfu_sockets', 'gauge', 'Connected signalling sockets.', [{ value: sockets }]),
      family('sfu_transports', 'gauge', 'Open WebRTC transports.', [{ value: transports }]),
      family('sfu_producers', 'gauge', 'Open producers.', [{ value: producers }]),
      family('sfu_consumers', 'gauge', 'Open consumers.', [{ value: consumers }]),
      family(
        'sfu_worker_cpu_seconds_total',
        'counter',
        'CPU time used by each mediasoup worker.',
        cpu,
      ),
      family(
        'sfu_requests_rejected_total',
        'counter',
        'Signalling requests refused, by error code.',
        rejected,
      ),
    ].join('\n') + '\n'
  );
}
