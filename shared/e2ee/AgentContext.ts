// What the KeyAgent lends to its two helpers (Handshaker, MediaKeyScheduler): shared peer state,
// time, randomness, and the effect and warning sinks of the input being processed.

import type { VerifiedAnnouncement } from './announcement.js';
import type { PairwiseChannel } from './channel.js';
import type { AgentEffect, KeyAgentOptions, WarningCode } from './events.js';
import type { SessionKeyPair } from './identity.js';
import type { Peer } from './Peer.js';
import type { RoomKeys } from './roomSecret.js';

export interface AgentContext {
  readonly opts: Required<KeyAgentOptions>;
  readonly peers: ReadonlyMap<string, Peer>;
  /** How many peers are verified (have a channel): the roster without us. */
  readonly memberCount: number;
  now(): number;
  random(n: number): Uint8Array;
  emit(e: AgentEffect): void;
  warn(code: WarningCode, peerId?: string): void;
}

export interface HandshakeContext extends AgentContext {
  readonly roomId: string;
  readonly selfPeerId: string;
  readonly room: RoomKeys;
  readonly session: SessionKeyPair;
  /** Our own verified announcement (set by start()). */
  readonly self: VerifiedAnnouncement;
  /** The peer record for an id, created on first use. */
  peer(peerId: string): Peer;
  /** A handshake completed: the peer enters the roster. */
  establish(peer: Peer, channel: PairwiseChannel): void;
}
