/**
 * A room whose MLS group exists on the server, and application envelopes of a chosen size for it.
 * The server checks only an envelope's clear header, its signature under the room's envelope key
 * and its size, so the sealed body here is filler, not MLS: enough to exercise the relay's limits
 * and fan-out without building a group of real members.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { deriveEnvelopeKeys, sealEnvelope } from '../../../shared/mls/index.js';
import type { TestClient } from './sfu.js';

/** Header 10 + nonce 12 + GCM tag 16 + Ed25519 signature 64 (shared/mls/envelope.ts). */
const ENVELOPE_OVERHEAD = 102;

export interface MlsTestRoom {
  /** A signed application envelope of exactly `bytes` bytes. */
  envelope(bytes: number, epoch?: bigint): Uint8Array;
  /** An `mlsCommit` request that moves the group from `baseEpoch` to the next epoch. */
  commitRequest(baseEpoch: number): {
    baseEpoch: number;
    commit: Uint8Array;
    groupInfo: Uint8Array;
    welcome: null;
  };
}

/** `founder` (joined to `roomId`) creates the room's group with a filler GroupInfo. */
export async function mlsRoom(founder: TestClient, roomId: string): Promise<MlsTestRoom> {
  const keys = deriveEnvelopeKeys(randomBytes(32), roomId);
  await founder.ok('mlsCreateGroup', {
    roomPublicKey: keys.publicKey,
    groupInfo: sealEnvelope(keys, { kind: 'groupInfo', epoch: 0n }, randomBytes(64)),
  });
  return {
    envelope: (bytes, epoch = 0n) =>
      sealEnvelope(keys, { kind: 'application', epoch }, new Uint8Array(bytes - ENVELOPE_OVERHEAD)),
    commitRequest: (baseEpoch) => ({
      baseEpoch,
      commit: sealEnvelope(keys, { kind: 'commit', epoch: BigInt(baseEpoch) }, randomBytes(200)),
      groupInfo: sealEnvelope(
        keys,
        { kind: 'groupInfo', epoch: BigInt(baseEpoch + 1) },
        randomBytes(64),
      ),
      welcome: null,
    }),
  };
}
