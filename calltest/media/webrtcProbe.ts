/**
 * What the page's WebRTC stack does, seen from outside the app: an init script wraps
 * RTCPeerConnection before any page script runs, so it sees every connection the app (and
 * mediasoup-client) makes, and reports
 *
 * - `getStats()` totals: inbound and outbound RTP bytes, packets, packets lost and jitter per
 *   kind, the frame heights of the outbound video layers, and the round-trip time of the ICE
 *   candidate pairs in use;
 * - for every sender and receiver that carries a track, whether an encoded transform is
 *   attached. It reads `transform` through the getter it saved before the app's code ran, and
 *   notes every `createEncodedStreams()` call, so a client that only pretends to encrypt (or a
 *   server that serves one) cannot hide a bare sender from it.
 *
 * `window.__webrtcProbe` reports. Nothing it reports is media, keys or names.
 */
import type { InPage } from '../browsers/driver.js';
import { NAME_SHIM } from './mediaProbe.js';

export interface RtpTotals {
  bytes: number;
  packets: number;
  packetsLost: number;
  /** Mean of the inbound streams' jitter, seconds (0 without inbound streams). */
  jitter: number;
  streams: number;
}

export interface EndpointState {
  readonly kind: string;
  /** An encoded transform (RTCRtpScriptTransform or encoded streams) is attached. */
  readonly transformed: boolean;
}

export interface WebrtcReport {
  readonly now: number;
  readonly connections: number;
  readonly inbound: { audio: RtpTotals; video: RtpTotals };
  readonly outbound: { audio: RtpTotals; video: RtpTotals };
  /** Frame heights of the outbound video encodings now being sent (one per active layer). */
  readonly outboundHeights: readonly number[];
  /** Round-trip time of the selected ICE candidate pairs (the worst connection), s, if known. */
  readonly rtt: number | null;
  readonly senders: readonly EndpointState[];
  readonly receivers: readonly EndpointState[];
}

/** Runs in the page, before the app. */
function installWebrtcProbe(): void {
  type Win = typeof window & { __webrtcProbe?: { report(): Promise<WebrtcReport> } };
  const w = window as Win;
  if (w.__webrtcProbe || typeof RTCPeerConnection !== 'function') return;
  const connections: RTCPeerConnection[] = [];
  const Original = RTCPeerConnection;
  class Tracked extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      connections.push(this);
    }
  }
  w.RTCPeerConnection = Tracked;

  // The getters as the browser made them, saved before any page script could replace them.
  const getter = (proto: object): ((this: unknown) => unknown) | undefined => {
    const get: unknown = Reflect.get(
      Object.getOwnPropertyDescriptor(proto, 'transform') ?? {},
      'get',
    );
    return typeof get === 'function' ? (get as (this: unknown) => unknown) : undefined;
  };
  const senderTransform = getter(RTCRtpSender.prototype);
  const receiverTransform = getter(RTCRtpReceiver.prototype);
  const streamed = new WeakSet<object>();
  for (const proto of [RTCRtpSender.prototype, RTCRtpReceiver.prototype] as unknown as Record<
    string,
    unknown
  >[]) {
    const original = proto.createEncodedStreams;
    if (typeof original !== 'function') continue;
    proto.createEncodedStreams = function (this: object, ...args: unknown[]): unknown {
      streamed.add(this);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  const transformed = (endpoint: RTCRtpSender | RTCRtpReceiver, get?: () => unknown): boolean =>
    streamed.has(endpoint) || (get ? get.call(endpoint) != null : false);

  const zero = (): RtpTotals => ({ bytes: 0, packets: 0, packetsLost: 0, jitter: 0, streams: 0 });

  w.__webrtcProbe = {
    async report(): Promise<WebrtcReport> {
      const inbound = { audio: zero(), video: zero() };
      const outbound = { audio: zero(), video: zero() };
      const outboundHeights: number[] = [];
      let rtt: number | null = null;
      const senders: EndpointState[] = [];
      const receivers: EndpointState[] = [];
      const live = connections.filter((pc) => pc.connectionState !== 'closed');
      for (const pc of live) {
        for (const s of pc.getSenders()) {
          if (s.track && s.track.readyState === 'live')
            senders.push({ kind: s.track.kind, transformed: transformed(s, senderTransform) });
        }
        for (const t of pc.getTransceivers()) {
          const r = t.receiver;
          // mediasoup-client's bandwidth probator carries RTP padding only, never frames.
          if (t.mid === 'probator') continue;
          if (t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv')
            receivers.push({ kind: r.track.kind, transformed: transformed(r, receiverTransform) });
        }
        const stats = await pc.getStats();
        stats.forEach((s: Record<string, unknown>) => {
          if (
            s.type === 'candidate-pair' &&
            s.nominated === true &&
            s.state === 'succeeded' &&
            typeof s.currentRoundTripTime === 'number'
          )
            rtt = Math.max(rtt ?? 0, s.currentRoundTripTime);
          const kind = s.kind === 'audio' || s.kind === 'video' ? s.kind : null;
          if (!kind) return;
          const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
          if (s.type === 'inbound-rtp') {
            const t = inbound[kind];
            t.bytes += n(s.bytesReceived);
            t.packets += n(s.packetsReceived);
            t.packetsLost += n(s.packetsLost);
            t.jitter += n(s.jitter);
            t.streams++;
          } else if (s.type === 'outbound-rtp') {
            const t = outbound[kind];
            t.bytes += n(s.bytesSent);
            t.packets += n(s.packetsSent);
            t.streams++;
            if (kind === 'video' && n(s.frameHeight) > 0) outboundHeights.push(n(s.frameHeight));
          }
        });
      }
      for (const t of [inbound.audio, inbound.video]) if (t.streams) t.jitter /= t.streams;
      return {
        now: performance.timeOrigin + performance.now(),
        connections: live.length,
        inbound,
        outbound,
        outboundHeights: outboundHeights.sort((a, b) => a - b),
        rtt,
        senders,
        receivers,
      };
    },
  };
}

/** Init-script source; install before the app's scripts run. */
export function webrtcProbeScript(): string {
  return `${NAME_SHIM}\n(${installWebrtcProbe.toString()})();`;
}

export function webrtcReport(page: InPage): Promise<WebrtcReport> {
  return page.evaluate(() => {
    const w = window as typeof window & { __webrtcProbe?: { report(): Promise<WebrtcReport> } };
    if (!w.__webrtcProbe) throw new Error('WebRTC probe not installed');
    return w.__webrtcProbe.report();
  });
}
