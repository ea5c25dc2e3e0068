// The one error type of the SFrame layer. Codes are a stable union: the frame worker counts them and
// the UI shows them; never match on `message`.

export type SFrameErrorCode =
  /** No key (and no key reachable by the join ratchet) for the frame's KID. RFC 9605 §4.4.4 allows buffering. */
  | 'UNKNOWN_KID'
  /** AEAD authentication failed: wrong key, or header, clear bytes or ciphertext altered. */
  | 'AUTH_FAILED'
  /** Authentic, but sealed under another of the labels the caller named (see SFrameContext). */
  | 'WRONG_LABEL'
  /** The (KID, CTR) pair was already accepted: a second copy of a frame (duplicate or replay). */
  | 'REPLAY'
  /** The counter is older than the replay window of its key, so a repeat cannot be ruled out. */
  | 'TOO_OLD'
  /** The frame cannot be parsed: truncated, non-minimal header, too short for its layout. */
  | 'MALFORMED'
  /** `encrypt` was called before `setSenderKey`. */
  | 'NO_SENDER_KEY'
  /** The same (KID, key) was set as sender key twice: its counter would restart and repeat nonces. */
  | 'KEY_REUSE'
  /** Key bytes of the wrong length or type, or a KID out of range. */
  | 'BAD_KEY'
  /** The sender counter reached its limit; a new key is required. */
  | 'COUNTER_EXHAUSTED'
  /** Use after `close()`. */
  | 'CLOSED';

export class SFrameError extends Error {
  override readonly name = 'SFrameError';
  constructor(
    readonly code: SFrameErrorCode,
    message: string,
  ) {
    super(message);
  }
}
