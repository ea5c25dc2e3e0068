/**
 * What our audio tells the server, decided here in the browser (the server's capabilities are
 * untrusted input, so it cannot turn these back on):
 *
 * - Opus at a constant bitrate (`cbr=1`) without DTX (`usedtx=0`): every 20 ms packet has the same
 *   size whether someone speaks or not, and packets keep flowing in silence, so sizes and timing do
 *   not follow speech. Cost: docs/protocol.md §10.
 * - No audio-level RTP header extension (RFC 6464): it would tell the SFU, in clear, how loud each
 *   packet is. Active speaker is computed in each browser from decrypted audio
 *   (speaker/SpeakerDetector.ts).
 *
 * libwebrtc configures its Opus encoder from the remote description's fmtp, which mediasoup-client
 * builds from the router capabilities we give `device.load()`: so we rewrite those.
 */
import type { types } from 'mediasoup-client';

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export function privateAudioCapabilities(caps: types.RtpCapabilities): types.RtpCapabilities {
  return {
    ...caps,
    codecs: caps.codecs?.map((codec) =>
      codec.mimeType.toLowerCase() === 'audio/opus'
        ? { ...codec, parameters: { ...codec.parameters, cbr: 1, usedtx: 0 } }
        : codec,
    ),
    headerExtensions: caps.headerExtensions?.filter((ext) => ext.uri !== AUDIO_LEVEL_URI),
  };
}
