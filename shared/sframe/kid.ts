// Our KID scheme and the join ratchet. RFC 9605 leaves KID allocation to the application (§9.1).
//
//   KID (16 bits) = slot (12 bits) << 4 | generation mod 16 (4 bits)
//
// The slot names the sender (chosen by the sender, kept free of collisions with the slots it knows);
// the generation counts that sender's keys. A KID below 8 fits in the config byte, below 2^16 takes
// two extra bytes, so the SFrame header is at most 1 + 2 + 3 bytes while CTR < 2^24.
//
// Join ratchet (RFC 9605 §5.1 "Sender Keys"): when a member joins, every sender moves to
// generation g+1 with
//   key_{g+1} = HKDF-Expand(HKDF-Extract("", key_g), "SFrame 1.0 Ratchet", Nh)
// and hands only key_{g+1} to the newcomer. Receivers that hold key_g derive key_{g+1} themselves
// on the first frame with the new KID (SFrameContext `ratchetWindow`). HKDF is one-way, so the
// newcomer cannot go back to key_g. (The RFC's KID splits "key generation" and "ratchet step"; we
// count both in one generation and name the sender with the slot instead.)

import { expand, extract } from '@noble/hashes/hkdf.js';
import type { Bytes } from './bytes.js';
import { CipherSuite, suiteParams, type CipherSuiteId } from './suites.js';

export const KID_GEN_BITS = 4;
export const KID_SLOT_BITS = 12;
export const KID_GEN_MODULUS = 1 << KID_GEN_BITS;
export const KID_SLOT_COUNT = 1 << KID_SLOT_BITS;

export function makeKid(slot: number, generation: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= KID_SLOT_COUNT)
    throw new RangeError('slot out of range');
  if (!Number.isInteger(generation) || generation < 0)
    throw new RangeError('generation out of range');
  return (slot << KID_GEN_BITS) | (generation % KID_GEN_MODULUS);
}

export function kidSlot(kid: number): number {
  return Math.floor(kid / KID_GEN_MODULUS);
}

export function kidGeneration(kid: number): number {
  return kid % KID_GEN_MODULUS;
}

/** Forward distance from generation `from` to `to` modulo 16 (0..15). */
export function generationDistance(fromKid: number, toKid: number): number {
  return (kidGeneration(toKid) - kidGeneration(fromKid) + KID_GEN_MODULUS) % KID_GEN_MODULUS;
}

const RATCHET_LABEL = new TextEncoder().encode('SFrame 1.0 Ratchet');

/** One step of the join ratchet for `suite` (output Nh bytes). The input is not modified. */
export function ratchetKey(
  key: Uint8Array,
  suite: CipherSuiteId = CipherSuite.AES_128_GCM_SHA256_128,
): Bytes {
  const { hash, nh } = suiteParams(suite);
  const secret = extract(hash, key, new Uint8Array(0));
  const next = new Uint8Array(expand(hash, secret, RATCHET_LABEL, nh));
  secret.fill(0);
  return next;
}
