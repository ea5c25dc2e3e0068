/**
 * SDP between a synthetic participant's WebRTC stack (werift) and the SFU's mediasoup
 * transports, which speak no SDP: the SFU's ICE-lite and DTLS parameters and a consumer's RTP
 * parameters become the remote description, and werift's own description gives the producer's
 * RTP parameters. This is what mediasoup-client does for a browser (its remote SDP), reduced to
 * what a synthetic participant uses: Opus and VP8 without RTX, the MID header extension, BUNDLE.
 */
import type {
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MediaKind,
  RtpParameters,
} from 'mediasoup-client/types';

export interface TransportParams {
  readonly iceParameters: IceParameters;
  readonly iceCandidates: readonly IceCandidate[];
  readonly dtlsParameters: DtlsParameters;
}

/** One m-section of werift's offer: what the producer's RTP parameters need. */
export interface LocalSection {
  readonly kind: MediaKind;
  readonly mid: string;
  readonly payloadType: number;
  readonly ssrc: number;
  readonly cname: string;
  readonly midExtensionId: number | null;
}

export const MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

function lines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l !== '');
}

/** The m-sections of a description, each with its own lines (the m= line first). */
function sections(sdp: string): string[][] {
  const out: string[][] = [];
  for (const l of lines(sdp)) {
    if (l.startsWith('m=')) out.push([l]);
    else out[out.length - 1]?.push(l);
  }
  return out;
}

function attr(section: readonly string[], name: string): string | null {
  const prefix = `a=${name}:`;
  return section.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? null;
}

export function localFingerprint(sdp: string): string {
  const fp = /a=fingerprint:sha-256 (\S+)/.exec(sdp)?.[1];
  if (!fp) throw new Error('the local description has no sha-256 fingerprint');
  return fp;
}

/** mediasoup's DTLS role for the client: werift's `a=setup` in its answer (or offer). */
export function localDtlsRole(sdp: string): 'client' | 'server' {
  const setup = /a=setup:(\S+)/.exec(sdp)?.[1];
  return setup === 'passive' ? 'server' : 'client';
}

/** The audio and video sections of werift's offer, with the codec it chose for `mimeType`s. */
export function parseLocalOffer(sdp: string): LocalSection[] {
  return sections(sdp).map((s) => {
    const kind = s[0]!.slice(2).split(' ')[0] as MediaKind;
    const mid = attr(s, 'mid');
    const want = kind === 'audio' ? 'opus/48000' : 'vp8/90000';
    const rtpmap = s.find((l) => l.startsWith('a=rtpmap:') && l.toLowerCase().includes(` ${want}`));
    const pt = rtpmap ? Number(/^a=rtpmap:(\d+)/.exec(rtpmap)![1]) : NaN;
    const ssrcLine = s.find((l) => /^a=ssrc:\d+ cname:/.test(l));
    const ext = s.find((l) => l.startsWith('a=extmap:') && l.endsWith(` ${MID_URI}`));
    if (mid === null || !Number.isInteger(pt) || !ssrcLine)
      throw new Error(`werift's ${kind} section lacks a mid, its codec or an SSRC`);
    const [, ssrc, cname] = /^a=ssrc:(\d+) cname:(\S+)/.exec(ssrcLine)!;
    return {
      kind,
      mid,
      payloadType: pt,
      ssrc: Number(ssrc),
      cname: cname!,
      midExtensionId: ext ? Number(/^a=extmap:(\d+)/.exec(ext)![1]) : null,
    };
  });
}

/** A producer's RTP parameters for one section of werift's offer. */
export function producerRtpParameters(s: LocalSection): RtpParameters {
  const codec =
    s.kind === 'audio'
      ? { mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: {} }
      : { mimeType: 'video/VP8', clockRate: 90000, parameters: {} };
  return {
    mid: s.mid,
    codecs: [{ ...codec, payloadType: s.payloadType, rtcpFeedback: [] }],
    headerExtensions:
      s.midExtensionId === null ? [] : [{ uri: MID_URI, id: s.midExtensionId, encrypt: false }],
    encodings: [{ ssrc: s.ssrc }],
    rtcp: { cname: s.cname, reducedSize: true },
  };
}

function transportLines(t: TransportParams, setup: 'passive' | 'actpass'): string[] {
  const fp = t.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256');
  if (!fp) throw new Error('the SFU offered no sha-256 DTLS fingerprint');
  return [
    `a=ice-ufrag:${t.iceParameters.usernameFragment}`,
    `a=ice-pwd:${t.iceParameters.password}`,
    `a=fingerprint:sha-256 ${fp.value}`,
    `a=setup:${setup}`,
    ...t.iceCandidates
      .filter((c) => c.protocol === 'udp')
      .map(
        (c) =>
          `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.address ?? c.ip} ${c.port} typ host`,
      ),
    'a=end-of-candidates',
    'a=rtcp-mux',
    'a=rtcp-rsize',
  ];
}

function session(mids: readonly string[]): string[] {
  return [
    'v=0',
    `o=mediasoup ${Date.now()} 1 IN IP4 0.0.0.0`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mids.join(' ')}`,
    'a=msid-semantic: WMS *',
  ];
}

function codecLines(kind: MediaKind, pt: number): string[] {
  return kind === 'audio'
    ? [`a=rtpmap:${pt} opus/48000/2`, `a=fmtp:${pt} minptime=10;useinbandfec=1`]
    : [
        `a=rtpmap:${pt} VP8/90000`,
        `a=rtcp-fb:${pt} nack`,
        `a=rtcp-fb:${pt} nack pli`,
        `a=rtcp-fb:${pt} ccm fir`,
      ];
}

/** The SFU's answer to werift's sending offer: it receives each section with werift's codec. */
export function sendAnswer(t: TransportParams, local: readonly LocalSection[]): string {
  const out = session(local.map((s) => s.mid));
  for (const s of local) {
    out.push(
      `m=${s.kind} 7 UDP/TLS/RTP/SAVPF ${s.payloadType}`,
      'c=IN IP4 127.0.0.1',
      `a=mid:${s.mid}`,
      'a=recvonly',
      ...transportLines(t, 'passive'),
      ...codecLines(s.kind, s.payloadType),
    );
    if (s.midExtensionId !== null) out.push(`a=extmap:${s.midExtensionId} ${MID_URI}`);
  }
  return out.join('\r\n') + '\r\n';
}

/** One consumer as the receiving side's remote offer shows it (closed: the section is inactive). */
export interface RemoteSection {
  readonly kind: MediaKind;
  readonly rtpParameters: RtpParameters;
  /** Set when the SFU closes the consumer. */
  closed: boolean;
}

/** The SFU's offer to werift's receiving side: one sending section per consumer, in mid order. */
export function receiveOffer(t: TransportParams, remote: readonly RemoteSection[]): string {
  const mids = remote.map((r) => r.rtpParameters.mid!);
  const out = session(mids);
  for (const r of remote) {
    const p = r.rtpParameters;
    const codec = p.codecs[0]!;
    const ssrc = p.encodings?.[0]?.ssrc;
    out.push(
      `m=${r.kind} ${r.closed ? 0 : 7} UDP/TLS/RTP/SAVPF ${codec.payloadType}`,
      'c=IN IP4 127.0.0.1',
      `a=mid:${p.mid}`,
      r.closed ? 'a=inactive' : 'a=sendonly',
      ...transportLines(t, 'actpass'),
      ...codecLines(r.kind, codec.payloadType),
      ...(p.headerExtensions ?? [])
        .filter((e) => e.uri === MID_URI)
        .map((e) => `a=extmap:${e.id} ${e.uri}`),
    );
    if (ssrc !== undefined) {
      out.push(`a=msid:${p.rtcp?.cname ?? 'sfu'} ${p.mid}`);
      out.push(`a=ssrc:${ssrc} cname:${p.rtcp?.cname ?? 'sfu'}`);
    }
  }
  return out.join('\r\n') + '\r\n';
}
