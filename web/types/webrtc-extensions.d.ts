/**
 * WebRTC Extensions' key-frame option of RTCRtpSender.setParameters, which TypeScript's DOM lib
 * leaves out (its RTCSetParameterOptions is empty):
 * https://w3c.github.io/webrtc-extensions/#rtcrtpsender-setparameters-keyframe
 * Chromium implements it; a browser that does not simply ignores the unknown member.
 *
 * A module, like encoded-transform.d.ts: import it with `import type {} from`.
 */
export {};

declare global {
  interface RTCEncodingOptions {
    /** Encode the next frame of this encoding as a key frame. */
    keyFrame?: boolean;
  }

  interface RTCSetParameterOptions {
    /** One entry per encoding of the parameters, in the same order. */
    encodingOptions?: RTCEncodingOptions[];
  }
}
