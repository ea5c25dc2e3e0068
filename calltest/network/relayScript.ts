/**
 * The page's half of an impaired link (ImpairedLink.ts): an init script, run before the app,
 * that rewrites the ICE candidates of every remote description and remote candidate the page
 * is given, so that its media goes through the relay.
 *
 * A candidate line is `candidate:<foundation> <component> <transport> <priority> <address>
 * <port> typ <type> …` (RFC 8839 §5.1). For UDP with an IPv4 address, `<address> <port>` become
 * the relay's, asked of the binding `window[RELAY_BINDING](address, port)`; every other
 * candidate is dropped, so nothing can reach the SFU around the relay.
 */
import { NAME_SHIM } from '../media/mediaProbe.js';

export const RELAY_BINDING = '__calltestRelay';

/** Runs in the page, before the app. */
function installRelay(binding: string): void {
  type Relay = (ip: string, port: number) => Promise<{ ip: string; port: number }>;
  const w = window as unknown as Record<string, unknown>;
  if (w.__calltestRelayInstalled || typeof RTCPeerConnection !== 'function') return;
  w.__calltestRelayInstalled = true;
  const relay = (ip: string, port: number): Promise<{ ip: string; port: number }> =>
    (w[binding] as Relay)(ip, port);

  /** The candidate through the relay, or null to drop it. */
  const rewrite = async (candidate: string): Promise<string | null> => {
    const m = /^(a=)?(candidate:\S+ \d+ )(\S+)( \d+ )(\S+) (\d+)( typ .*)$/i.exec(candidate);
    if (!m) return null;
    const [, prefix = '', head, transport, priority, address, port, tail] = m;
    if (transport!.toLowerCase() !== 'udp' || !/^\d+\.\d+\.\d+\.\d+$/.test(address!)) return null;
    try {
      const to = await relay(address!, Number(port));
      return `${prefix}${head}${transport}${priority}${to.ip} ${to.port}${tail}`;
    } catch {
      return null;
    }
  };

  const rewriteSdp = async (sdp: string): Promise<string> => {
    const lines = sdp.split('\r\n');
    const out: string[] = [];
    for (const line of lines) {
      if (!line.startsWith('a=candidate:')) {
        out.push(line);
        continue;
      }
      const r = await rewrite(line);
      if (r !== null) out.push(r);
    }
    return out.join('\r\n');
  };

  // The originals are kept unbound and called with the connection as `this` (`.call` below).
  const proto = RTCPeerConnection.prototype;
  type SetRemote = (this: RTCPeerConnection, d: RTCSessionDescriptionInit) => Promise<void>;
  type AddCandidate = (this: RTCPeerConnection, c?: RTCIceCandidateInit | null) => Promise<void>;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const setRemote: SetRemote = proto.setRemoteDescription;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const addCandidate: AddCandidate = proto.addIceCandidate;

  const setRemoteThroughRelay: SetRemote = async function (description) {
    if (description.sdp)
      description = { type: description.type, sdp: await rewriteSdp(description.sdp) };
    return setRemote.call(this, description);
  };
  const addCandidateThroughRelay: AddCandidate = async function (candidate) {
    if (candidate?.candidate) {
      const r = await rewrite(candidate.candidate);
      if (r === null) return;
      candidate = { ...candidate, candidate: r };
    }
    return addCandidate.call(this, candidate);
  };
  proto.setRemoteDescription = setRemoteThroughRelay;
  proto.addIceCandidate = addCandidateThroughRelay;
}

/** Init-script source for a page whose link is impaired. */
export function relayScript(): string {
  return `${NAME_SHIM}
(${installRelay.toString()})(${JSON.stringify(RELAY_BINDING)});`;
}
