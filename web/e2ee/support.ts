/**
 * Which encoded-transform API this browser has. Without one we cannot encrypt frames, and the
 * client refuses to join rather than send media the server could read.
 */
import type {} from '../types/encoded-transform.js';

/** 'script': RTCRtpScriptTransform (standard). 'streams': Chromium's legacy createEncodedStreams. */
export type TransformMode = 'script' | 'streams';

export function detectTransformMode(scope: typeof globalThis = globalThis): TransformMode | null {
  if (typeof scope.RTCRtpScriptTransform === 'function') return 'script';
  const sender = scope.RTCRtpSender as typeof RTCRtpSender | undefined;
  if (sender && typeof sender.prototype.createEncodedStreams === 'function') return 'streams';
  return null;
}

/** Transport options that make a transform possible on every sender and receiver it creates. */
export function transportSettings(mode: TransformMode): Partial<RTCConfiguration> {
  return mode === 'streams' ? { encodedInsertableStreams: true } : {};
}
