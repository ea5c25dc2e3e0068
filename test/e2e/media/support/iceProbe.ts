/**
 * TEST-ONLY: which ICE candidate pair each of the page's RTCPeerConnections uses. An init script
 * wraps RTCPeerConnection before the app runs (as calltest's webrtcProbe does) and keeps every
 * connection with the configuration it was made with; `selectedPairs(page)` reads each one's
 * transport stats → selected candidate pair → local and remote candidate. No media, no keys.
 */
import type { Page } from 'playwright-core';
import { NAME_SHIM } from '../../../../calltest/media/mediaProbe.js';

export interface SelectedPair {
  /** The policy the connection was created with (`relay` with `?ice=relay`). */
  readonly policy: string;
  /** Whether the connection was given TURN servers. */
  readonly turnServers: number;
  readonly connectionState: string;
  /** `host`, `srflx`, `prflx` or `relay`; null while no pair is selected. */
  readonly localType: string | null;
  readonly localAddress: string | null;
  readonly remoteAddress: string | null;
  readonly remotePort: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** Runs in the page, before the app. */
function installIceProbe(): void {
  type Win = typeof window & { __iceProbe?: { selected(): Promise<SelectedPair[]> } };
  const w = window as Win;
  if (w.__iceProbe || typeof RTCPeerConnection !== 'function') return;
  const connections: { pc: RTCPeerConnection; config: RTCConfiguration }[] = [];
  const Original = RTCPeerConnection;
  class Tracked extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      connections.push({ pc: this, config: config ?? {} });
    }
  }
  w.RTCPeerConnection = Tracked;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  w.__iceProbe = {
    async selected() {
      const out: SelectedPair[] = [];
      for (const { pc, config } of connections) {
        if (pc.connectionState === 'closed') continue;
        const stats = new Map<string, Record<string, unknown>>();
        (await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(String(s.id), s));
        let pair: Record<string, unknown> | undefined;
        for (const s of stats.values()) {
          if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
            pair = stats.get(s.selectedCandidatePairId);
        }
        const local = pair ? stats.get(String(pair.localCandidateId)) : undefined;
        const remote = pair ? stats.get(String(pair.remoteCandidateId)) : undefined;
        out.push({
          policy: config.iceTransportPolicy ?? 'all',
          turnServers: (config.iceServers ?? []).length,
          connectionState: pc.connectionState,
          localType: str(local?.candidateType),
          localAddress: str(local?.address),
          remoteAddress: str(remote?.address),
          remotePort: remote ? num(remote.port) : null,
          bytesSent: num(pair?.bytesSent),
          bytesReceived: num(pair?.bytesReceived),
        });
      }
      return out;
    },
  };
}

export function iceProbeScript(): string {
  return `${NAME_SHIM}\n(${installIceProbe.toString()})();`;
}

export function selectedPairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(() =>
    (
      window as typeof window & { __iceProbe: { selected(): Promise<SelectedPair[]> } }
    ).__iceProbe.selected(),
  );
}
