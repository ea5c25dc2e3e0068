/**
 * ICE settings of the mediasoup-client transports: the TURN servers the SFU handed out in the
 * join response, and the transport policy. `?ice=relay` in the page's URL (before the `#`, so
 * it never touches the room secret) forces `iceTransportPolicy: 'relay'`: every candidate pair
 * then goes through TURN. It is a diagnostic switch, for tests and for people checking that
 * their TURN server works; without it the browser uses every candidate it has.
 */
import type { IceServer } from '../../shared/protocol/index.js';

export interface IceOptions {
  readonly iceServers: RTCIceServer[];
  readonly iceTransportPolicy: RTCIceTransportPolicy;
}

/** The policy asked for by a page URL's query string (`location.search`). */
export function icePolicyFromSearch(search: string): RTCIceTransportPolicy {
  return new URLSearchParams(search).get('ice') === 'relay' ? 'relay' : 'all';
}

export function iceOptions(servers: readonly IceServer[] | undefined, search: string): IceOptions {
  return {
    iceServers: (servers ?? []).map((s) => ({
      urls: [...s.urls],
      username: s.username,
      credential: s.credential,
    })),
    iceTransportPolicy: icePolicyFromSearch(search),
  };
}
