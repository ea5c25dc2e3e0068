// A pairwise channel between two verified sessions: ChaCha20-Poly1305 (RFC 8439 §2.8, @noble/ciphers,
// synchronous) per direction, with a 64-bit message counter.
//
//   nonce = 0x00000000 || counter (u64 BE)  (12 B)   aad = CHANNEL header (magic, type, id, counter)
//
// Nonce uniqueness: each direction has its own 32-byte key (handshake.ts: key I→R ≠ key R→I, both
// from one HKDF output), keys are fresh per handshake (they depend on n_i and n_r), and the sender's
// counter starts at 0 and only increases (taken before sealing, never reset, refused at 2^53 - 1),
// so no (key, nonce) pair repeats. The receiver's replay window refuses a counter it has already
// accepted, and since the header is the AAD, a relay cannot move a ciphertext to another counter or
// channel.
//
// Why not WebCrypto AES-GCM, as for frames: a rekey in a 100-member room seals and opens ~20,000
// small messages; WebCrypto is asynchronous, and its per-call overhead (~50-75 µs in Node) dominated
// the rekey. ChaCha20-Poly1305 in JavaScript needs no lookup tables (noble's AES uses T-tables, which
// leak cache timings), so it is the software AEAD of choice. The keys are length-checked bytes held
// only here and wiped by `close()`.

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { wipe, type Bytes } from './bytes.js';
import { ReplayWindow } from '../sframe/replay.js';
import { CHANNEL_KEY_LENGTH, type ChannelSecrets, type Role } from './handshake.js';
import type { VerifiedAnnouncement } from './announcement.js';
import { CHANNEL_HEADER_LENGTH, CHANNEL_ID_LENGTH, encodeChannelHeader } from './wire.js';

const NONCE_LENGTH = 12;
/** Zero bytes before the counter in the nonce (RFC 8439 nonces are 96 bits; our counter is 64). */
const NONCE_COUNTER_OFFSET = NONCE_LENGTH - 8;
export const CHANNEL_TAG_LENGTH = 16;
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
const REPLAY_WINDOW = 1024;

/** `counter` is a safe integer ≥ 0 (the wire reader and `seal` guarantee it). */
function nonce(counter: number): Bytes {
  const n = new Uint8Array(NONCE_LENGTH);
  const hi = Math.floor(counter / 0x100000000);
  const lo = counter >>> 0;
  for (let i = 0; i < 4; i++) {
    n[NONCE_COUNTER_OFFSET + 3 - i] = (hi >>> (8 * i)) & 0xff;
    n[NONCE_LENGTH - 1 - i] = (lo >>> (8 * i)) & 0xff;
  }
  return n;
}

export type OpenResult =
  | { readonly ok: true; readonly plaintext: Bytes }
  | { readonly ok: false; readonly reason: 'AUTH_FAILED' | 'REPLAY' };

/** Use of a channel after `close()`. */
export class ChannelClosedError extends Error {
  override readonly name = 'ChannelClosedError';
}

export class PairwiseChannel {
  private sendCounter = 0;
  private closed = false;
  private readonly replay = new ReplayWindow(REPLAY_WINDOW);

  private constructor(
    readonly peer: VerifiedAnnouncement,
    readonly role: Role,
    readonly id: Bytes,
    private readonly sendKey: Bytes,
    private readonly recvKey: Bytes,
  ) {}

  /** Copies the keys: the caller may wipe `s` afterwards. */
  static create(peer: VerifiedAnnouncement, role: Role, s: ChannelSecrets): PairwiseChannel {
    if (s.sendKey.length !== CHANNEL_KEY_LENGTH || s.recvKey.length !== CHANNEL_KEY_LENGTH)
      throw new RangeError('channel keys must be 32 bytes');
    if (s.channelId.length !== CHANNEL_ID_LENGTH) throw new RangeError('bad channel id length');
    return new PairwiseChannel(
      peer,
      role,
      new Uint8Array(s.channelId),
      new Uint8Array(s.sendKey),
      new Uint8Array(s.recvKey),
    );
  }

  /** Returns a complete CHANNEL relay message. */
  seal(plaintext: Uint8Array): Bytes {
    if (this.closed) throw new ChannelClosedError('channel is closed');
    if (this.sendCounter >= MAX_COUNTER) throw new RangeError('channel counter exhausted');
    const counter = this.sendCounter++;
    const header = encodeChannelHeader(this.id, counter);
    // One buffer for the whole message: the AEAD writes ciphertext and tag after the header.
    const message = new Uint8Array(header.length + plaintext.length + CHANNEL_TAG_LENGTH);
    message.set(header);
    chacha20poly1305(this.sendKey, nonce(counter), header).encrypt(
      plaintext,
      message.subarray(header.length),
    );
    return message;
  }

  /** `header` is the message's first CHANNEL_HEADER_LENGTH bytes, carrying `counter`. */
  open(header: Uint8Array, counter: number, ciphertext: Uint8Array): OpenResult {
    if (this.closed) throw new ChannelClosedError('channel is closed');
    if (!this.replay.check(counter)) return { ok: false, reason: 'REPLAY' };
    if (header.length !== CHANNEL_HEADER_LENGTH || ciphertext.length < CHANNEL_TAG_LENGTH)
      return { ok: false, reason: 'AUTH_FAILED' };
    let pt: Bytes;
    try {
      pt = chacha20poly1305(this.recvKey, nonce(counter), header).decrypt(ciphertext);
    } catch {
      // noble throws only for a wrong tag here (lengths were checked above); counted by the caller.
      return { ok: false, reason: 'AUTH_FAILED' };
    }
    this.replay.commit(counter);
    return { ok: true, plaintext: pt };
  }

  /** Idempotent. Forgets the keys (best effort: JS engines may keep copies); later use throws. */
  close(): void {
    this.closed = true;
    wipe(this.sendKey, this.recvKey);
  }
}
