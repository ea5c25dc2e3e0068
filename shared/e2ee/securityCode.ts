// Security codes people compare out of band (read aloud, or side by side on screens).
//
// Room code: every honest member of the same encrypted roster shows the same code; it changes when
// membership changes, and a relay that swapped someone's keys (MITM) makes codes differ.
//   code = HKDF-SHA256(ikm = SHA-256(sorted identity keys of the roster, self included),
//                      salt = code key from the room secret, info = "blindcall/v1 room code", 13)
// Pairwise code: depends only on two identity keys, so it stays the same across calls and rooms.
//   code = HKDF-SHA256(ikm = lower identity key || higher identity key, salt = "",
//                      info = "blindcall/v1 pairwise code", 13)
// Rendering: bytes 0..4 → 6 emoji of 6 bits each (36 bits); bytes 5..12 → 12 decimal digits.

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, utf8Encode, type Bytes } from './bytes.js';
import { compareKeys } from './handshake.js';
import type { RoomKeys } from './roomSecret.js';

export interface SecurityCode {
  readonly emoji: readonly string[];
  /** 12 digits in three groups: "1234 5678 9012". */
  readonly digits: string;
}

const CODE_BYTES = 13;
const EMOJI_COUNT = 6;
const EMOJI_BITS = 6;

// 64 emoji that are easy to name aloud and render on every platform.
// prettier-ignore
export const EMOJI: readonly string[] = [
  '🐶', '🐱', '🦁', '🐴', '🦄', '🐷', '🐘', '🐰', '🐼', '🐔', '🐧', '🐢', '🐟', '🐙', '🦋', '🌷',
  '🌳', '🌵', '🍄', '🌏', '🌙', '☁️', '🔥', '🍌', '🍎', '🍓', '🌽', '🍕', '🎂', '❤️', '😀', '🤖',
  '🎩', '👓', '🔧', '🎅', '👍', '☂️', '⌛', '⏰', '🎁', '💡', '📕', '✏️', '📎', '✂️', '🔒', '🔑',
  '🔨', '☎️', '🏁', '🚂', '🚲', '✈️', '🚀', '🏆', '⚽', '🎸', '🎺', '🔔', '⚓', '🎧', '📁', '📌',
];

function render(b: Uint8Array): SecurityCode {
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(b[i]!);
  const emoji: string[] = [];
  for (let i = EMOJI_COUNT - 1; i >= 0; i--)
    emoji.push(EMOJI[Number((bits >> BigInt(4 + i * EMOJI_BITS)) & 63n)]!);
  let n = 0n;
  for (let i = 5; i < 13; i++) n = (n << 8n) | BigInt(b[i]!);
  const d = (n % 10n ** 12n).toString().padStart(12, '0');
  return { emoji, digits: `${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8)}` };
}

export function roomSecurityCode(
  room: RoomKeys,
  identityKeys: readonly Uint8Array[],
): SecurityCode {
  const sorted = [...identityKeys].sort(compareKeys);
  const ikm = sha256(concat(...sorted));
  return render(hkdf(sha256, ikm, room.code, utf8Encode('blindcall/v1 room code'), CODE_BYTES));
}

export function pairwiseSecurityCode(a: Uint8Array, b: Uint8Array): SecurityCode {
  const [lo, hi] = compareKeys(a, b) <= 0 ? [a, b] : [b, a];
  return render(
    hkdf(
      sha256,
      concat(lo, hi),
      new Uint8Array(0),
      utf8Encode('blindcall/v1 pairwise code'),
      CODE_BYTES,
    ),
  );
}

export function sameCode(a: SecurityCode, b: SecurityCode): boolean {
  return a.digits === b.digits && a.emoji.join('') === b.emoji.join('');
}

export type { Bytes };
