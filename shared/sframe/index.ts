// Public surface of the SFrame layer (RFC 9605). The E2EE frame worker imports only this module.
export { SFrameContext, VALID_BASE_KEY_LENGTHS } from './SFrameContext.js';
export type { SFrameContextOptions, DecryptResult, SFrameStats } from './SFrameContext.js';
export { SFrameError } from './errors.js';
export type { SFrameErrorCode } from './errors.js';
export { encodeHeader, decodeHeader, headerLength, MAX_HEADER_LENGTH } from './header.js';
export type { SFrameHeader, DecodedHeader } from './header.js';
export { CipherSuite, deriveKeySalt, suiteParams } from './suites.js';
export type { CipherSuiteId, SuiteParams } from './suites.js';
export {
  isVp8KeyFrame,
  vp8ClearBytes,
  clearBytesFor,
  VP8_KEY_FRAME_CLEAR_BYTES,
  VP8_DELTA_FRAME_CLEAR_BYTES,
} from './layout.js';
export type { FrameLayout } from './layout.js';
export {
  makeKid,
  kidSlot,
  kidGeneration,
  ratchetKey,
  KID_GEN_BITS,
  KID_SLOT_BITS,
  KID_SLOT_COUNT,
} from './kid.js';
export { ReplayWindow, DEFAULT_REPLAY_WINDOW } from './replay.js';
export { sframeEncrypt, sframeDecrypt, importFrameKey, aeadSeal, aeadOpen } from './cipher.js';
export type { FrameKey, AeadKey } from './cipher.js';
