/**
 * What the SFU holds, counted twice: from its own /metrics, and from mediasoup's dump() of every
 * worker (routers, WebRTC transports on the WebRtcServer, and the worker's channel request
 * handlers: one per live router, transport, producer, consumer and RTP observer). The signalling
 * fuzzer compares these after each wave's sockets have closed.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Sfu } from '../../sfu/Sfu.js';

export interface Census {
  rooms: number;
  peers: number;
  sockets: number;
  transports: number;
  producers: number;
  consumers: number;
  /** mediasoup: routers in all workers. */
  msRouters: number;
  /** mediasoup: WebRTC transports registered on the WebRtcServers. */
  msWebRtcTransports: number;
  /** mediasoup: live request handlers in the workers (every object has one). */
  msHandlers: number;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`/metrics has no ${name}`);
  return Number(m[1]);
}

export async function census(sfu: Sfu): Promise<Census> {
  const text = await (await fetch(`${sfu.url}/metrics`)).text();
  let msRouters = 0;
  let msWebRtcTransports = 0;
  let msHandlers = 0;
  for (const slot of sfu.pool.workers) {
    const dump = await slot.worker.dump();
    msRouters += dump.routerIds.length;
    msHandlers += dump.channelMessageHandlers.channelRequestHandlers.length;
    msWebRtcTransports += (await slot.webRtcServer.dump()).webRtcTransportIds.length;
  }
  return {
    rooms: metric(text, 'blindcall_rooms'),
    peers: metric(text, 'blindcall_peers'),
    sockets: metric(text, 'blindcall_sockets'),
    transports: metric(text, 'blindcall_transports'),
    producers: metric(text, 'blindcall_producers'),
    consumers: metric(text, 'blindcall_consumers'),
    msRouters,
    msWebRtcTransports,
    msHandlers,
  };
}

/** Polls until the census equals `want` (or the time is up); returns the last census. */
export async function settle(sfu: Sfu, want: Census, timeoutMs = 15_000): Promise<Census> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await census(sfu);
    const same = (Object.keys(want) as (keyof Census)[]).every((k) => c[k] === want[k]);
    if (same || Date.now() > deadline) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
}

let gcFn: (() => void) | null = null;

/** Heap in use after a full GC (the SFU runs in this process in integration tests). */
export function heapAfterGc(): number {
  if (gcFn === null) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  return process.memoryUsage().heapUsed;
}

/** Resident set size of a process in bytes (Linux /proc), or NaN. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
