/** The werift peer connection a synthetic participant uses for each of its two transports. */
import { RTCPeerConnection, RTCRtpCodecParameters, useSdesMid } from 'werift';

/**
 * Opus and VP8 (NACK, PLI; no RTX), the MID header extension, one BUNDLE transport, IPv4 host
 * candidates only, and no STUN servers (the SFU's candidates are all it needs).
 */
export function peerConnection(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        }),
      ],
    },
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
  });
}
