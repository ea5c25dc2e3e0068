// A pairwise channel between two verified sessions: AES-128-GCM per direction (WebCrypto,
// non-extractable keys) with a 64-bit message counter.
//
//   nonce = 0x00000000 || counter (u64 BE)         aad = CHANNEL header (magic, type, id, counter)
//
// Nonce uniqueness: each direction has its own key (handshake.ts: key I→R ≠ key R→I), keys are
// fresh per handshake (they depend on n_i and n_r), and the sender's counter starts at 0 and only
// increases (reserved synchronously before encryption), so no (key, nonce) pair repeats. The
// receiver's replay window refuses a counter it has already accepted.

import { asBytes, concat, type Bytes } from './bytes.js';
import { ReplayWindow } from '../sframe/replay.js';
import type { ChannelSecrets, Role } from './handshake.js';
import type { VerifiedAnnouncement } from './announcement.js';
import { encodeChannelHeader } from './wire.js';

const NONCE_LENGTH = 12;
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

function nonce(counter: number): Bytes {
  const n = new Uint8Array(NONCE_LENGTH);
  new DataView(n.buffer).setBigUint64(4, BigInt(counter));
  return n;
}

export type OpenResult =
  | { readonly ok: true; readonly plaintext: Bytes }
  | { readonly ok: false; readonly reason: 'AUTH_FAILED' | 'REPLAY' };

export class PairwiseChannel {
  private sendCounter = 0;
  private readonly replay = new ReplayWindow(1024);

  private constructor(
    readonly peer: VerifiedAnnouncement,
    readonly role: Role,
    readonly id: Bytes,
    private readonly sendKey: CryptoKey,
    private readonly recvKey: CryptoKey,
  ) {}

  static async create(
    peer: VerifiedAnnouncement,
    role: Role,
    s: ChannelSecrets,
  ): Promise<PairwiseChannel> {
    const sendKey = await crypto.subtle.importKey('raw', s.sendKey, 'AES-GCM', false, ['encrypt']);
    const recvKey = await crypto.subtle.importKey('raw', s.recvKey, 'AES-GCM', false, ['decrypt']);
    return new PairwiseChannel(peer, role, s.channelId, sendKey, recvKey);
  }

  /** Returns a complete CHANNEL relay message. */
  async seal(plaintext: Uint8Array): Promise<Bytes> {
    if (this.sendCounter >= MAX_COUNTER) throw new RangeError('channel counter exhausted');
    const counter = this.sendCounter++;
    const header = encodeChannelHeader(this.id, counter);
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce(counter), additionalData: header },
      this.sendKey,
      asBytes(plaintext),
    );
    return concat(header, new Uint8Array(ct));
  }

  async open(header: Uint8Array, counter: number, ciphertext: Uint8Array): Promise<OpenResult> {
    if (!this.replay.check(counter)) return { ok: false, reason: 'REPLAY' };
    try {
      const pt = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce(counter), additionalData: asBytes(header) },
        this.recvKey,
        asBytes(ciphertext),
      );
      if (!this.replay.check(counter)) return { ok: false, reason: 'REPLAY' };
      this.replay.commit(counter);
      return { ok: true, plaintext: new Uint8Array(pt) };
    } catch {
      return { ok: false, reason: 'AUTH_FAILED' };
    }
  }
}
