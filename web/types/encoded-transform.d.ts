/**
 * WebRTC Encoded Transform declarations that TypeScript's DOM lib does not have.
 *
 * `RTCRtpScriptTransform`, `RTCRtpSender.transform` and `RTCRtpReceiver.transform` are in the DOM
 * lib already. What is missing is Chromium's older Insertable Streams API, our fallback where
 * `RTCRtpScriptTransform` does not exist:
 * https://github.com/w3c/webrtc-encoded-transform/blob/main/explainer.md (createEncodedStreams).
 * With it, every RTCPeerConnection must be created with `encodedInsertableStreams: true`.
 *
 * It is a module (import it with `import type {} from`) so every project that compiles a file
 * using these APIs picks the declarations up, whatever its `include`.
 */
export {};

declare global {
  interface RTCInsertableStreams {
    readable: ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
    writable: WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  }

  interface RTCRtpSender {
    /** Chromium-only (legacy Insertable Streams). Absent in browsers with only the standard API. */
    createEncodedStreams?: () => RTCInsertableStreams;
  }

  interface RTCRtpReceiver {
    /** Chromium-only (legacy Insertable Streams). */
    createEncodedStreams?: () => RTCInsertableStreams;
  }

  interface RTCConfiguration {
    /** Chromium-only: required before `createEncodedStreams` may be called on the connection. */
    encodedInsertableStreams?: boolean;
  }
}
