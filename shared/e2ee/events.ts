// Inputs, outputs and options of the KeyAgent. Outputs are a typed list of effects returned by each
// input call, in the order they must be applied.

import type { SecurityCode } from './securityCode.js';

export interface RosterEntry {
  readonly peerId: string;
  readonly displayName: string;
  /** Ed25519 identity public key (32 bytes). */
  readonly identityKey: Uint8Array;
  /** True if the local user confirmed this identity's pairwise code (`markVerified`). */
  readonly verified: boolean;
  readonly self: boolean;
}

/** Refused or suspicious input. Counted (`count` is the running total for `code`) and shown to users. */
export type WarningCode =
  | 'MALFORMED'
  | 'OVERSIZE'
  | 'BAD_MEMBERSHIP_MAC'
  | 'BAD_SIGNATURE'
  | 'BAD_NAME'
  | 'PEER_ID_MISMATCH'
  | 'SELF_ANNOUNCEMENT'
  | 'LOW_ORDER_POINT'
  | 'HANDSHAKE_ROLE'
  | 'HANDSHAKE_FAILED'
  | 'HANDSHAKE_TIMEOUT'
  /** The server reports a peer that never completed a handshake (a false join, or a client without E2EE). */
  | 'PEER_SILENT'
  | 'UNKNOWN_CHANNEL'
  | 'CHANNEL_AUTH_FAILED'
  | 'CHANNEL_REPLAY'
  | 'BAD_KEY_MESSAGE'
  | 'IDENTITY_CHANGED'
  | 'SESSION_REPLACED'
  | 'KEY_ACK_TIMEOUT'
  | 'INVALID_PEER_ID';

/**
 * Warnings a network produces on its own, with nobody attacking: a handshake or key
 * acknowledgement that timed out, a channel we dropped after a false "peer left" (so the peer's
 * next message names a channel we no longer have), a person who came back with a new session of
 * the same identity. They are counted for diagnostics but kept out of the hostile count that the
 * call shows loudly. PEER_SILENT is not hostile either: it is shown apart, as someone the server
 * announced who could not join securely. Every other code is refused input that an honest peer
 * on an honest network never sends: a forgery, a replay, or an identity swap.
 */
export const NETWORK_WARNINGS: ReadonlySet<WarningCode> = new Set<WarningCode>([
  'HANDSHAKE_TIMEOUT',
  'KEY_ACK_TIMEOUT',
  'UNKNOWN_CHANNEL',
  'SESSION_REPLACED',
  'PEER_SILENT',
]);

export function isHostileWarning(code: WarningCode): boolean {
  return !NETWORK_WARNINGS.has(code);
}

export type AgentEffect =
  | { readonly type: 'send'; readonly to: string | null; readonly payload: Uint8Array }
  | { readonly type: 'localKeyChanged'; readonly kid: number; readonly keyBytes: Uint8Array }
  | {
      readonly type: 'remoteKeyAdded';
      readonly peerId: string;
      readonly kid: number;
      readonly keyBytes: Uint8Array;
    }
  | { readonly type: 'remoteKeyRemoved'; readonly peerId: string; readonly kid: number }
  | { readonly type: 'rosterChanged'; readonly roster: readonly RosterEntry[] }
  | { readonly type: 'securityCodeChanged'; readonly code: SecurityCode }
  | { readonly type: 'chat'; readonly from: string; readonly text: string; readonly at: number }
  | {
      readonly type: 'warning';
      readonly code: WarningCode;
      readonly peerId?: string;
      readonly count: number;
    }
  | { readonly type: 'closed' };

export interface KeyAgentOptions {
  /** Resend interval for unanswered HELLO/INIT and unacknowledged keys. Default 500 ms. */
  readonly retryMs?: number;
  /** Give up an unfinished handshake after this long. Default 15 s. */
  readonly handshakeTimeoutMs?: number;
  /** After a leave, switch to the new key when all acknowledged or after this long. Default 1000 ms. */
  readonly switchTimeoutMs?: number;
  /** Leaves within this window share one fresh rekey (counted inside switchTimeoutMs). Default 100 ms. */
  readonly leaveCoalesceMs?: number;
  /** Receivers keep a superseded key this long (must exceed switchTimeoutMs). Default 5000 ms. */
  readonly graceMs?: number;
  /** Periodic fresh rekey. Default 10 minutes; 0 disables. */
  readonly rekeyIntervalMs?: number;
  /** Newcomers verified within this window share one join-ratchet step. Default 250 ms. */
  readonly joinRatchetDelayMs?: number;
  /** Join-ratchet steps receivers derive on their own; must match SFrameContext. Default 8. */
  readonly ratchetWindow?: number;
  /** Media key length: 16 or 32 bytes. Default 32. */
  readonly mediaKeyLength?: 16 | 32;
}

export interface KeyAgentConfig {
  readonly roomId: string;
  readonly selfPeerId: string;
  /** The 32-byte room secret from the link fragment. */
  readonly roomSecret: Uint8Array;
  /** The 32-byte Ed25519 identity secret (IdentityKey.toBytes()). */
  readonly identity: Uint8Array;
  readonly displayName: string;
  readonly clock: { now(): number };
  /** Cryptographically secure randomness (crypto.getRandomValues in production; seeded in tests). */
  readonly random: (n: number) => Uint8Array;
  readonly options?: KeyAgentOptions;
}

export const DEFAULT_OPTIONS: Required<KeyAgentOptions> = {
  retryMs: 500,
  handshakeTimeoutMs: 15_000,
  switchTimeoutMs: 1000,
  leaveCoalesceMs: 100,
  graceMs: 5000,
  rekeyIntervalMs: 600_000,
  joinRatchetDelayMs: 250,
  ratchetWindow: 8,
  mediaKeyLength: 32,
};

export type KeyAgentErrorCode = 'BAD_CONFIG' | 'BAD_INPUT' | 'NOT_STARTED' | 'CLOSED';

export class KeyAgentError extends Error {
  override readonly name = 'KeyAgentError';
  constructor(
    readonly code: KeyAgentErrorCode,
    message: string,
  ) {
    super(message);
  }
}
