/**
 * Send parameters per source: camera as three VP8 simulcast layers (so the SFU can send each
 * receiver the layer that fits its tile), screen as one sharp VP8 layer, microphone as Opus.
 * Video is always VP8 because the frame encryption keeps VP8's frame tag in clear (see
 * shared/sframe/layout.ts) and the SFU needs it to switch layers.
 */
import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../shared/protocol/index.js';

/** Spatial layers, lowest first: 1/4, 1/2 and full resolution. */
export const CAMERA_ENCODINGS: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: 'L1T3' },
];

const SCREEN_ENCODINGS: types.RtpEncodingParameters[] = [{ maxBitrate: 2_000_000 }];

/** No DTX: packets keep flowing in silence, so their timing does not show speech (audioPrivacy.ts). */
const OPUS_OPTIONS: types.ProducerCodecOptions = {
  opusStereo: false,
  opusFec: true,
  opusDtx: false,
};

export interface SendParameters {
  encodings?: types.RtpEncodingParameters[];
  codecOptions?: types.ProducerCodecOptions;
  codec?: types.RtpCodecCapability;
}

export function sendParameters(
  source: MediaSource,
  device: { rtpCapabilities: types.RtpCapabilities },
): SendParameters {
  if (source === 'microphone') return { codecOptions: OPUS_OPTIONS };
  const vp8 = device.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
  if (!vp8) throw new Error('the server does not offer VP8');
  return {
    codec: vp8,
    encodings: source === 'camera' ? CAMERA_ENCODINGS : SCREEN_ENCODINGS,
    codecOptions: { videoGoogleStartBitrate: 1000 },
  };
}

/** Which simulcast layer a tile of this height (CSS pixels × devicePixelRatio) needs. */
export function layerForHeight(pixels: number): number {
  if (pixels <= 200) return 0;
  if (pixels <= 420) return 1;
  return 2;
}
