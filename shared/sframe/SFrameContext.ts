// SFrameContext: the frame cipher used by the E2EE frame worker. RFC 9605 (SFrame) with
// codec-aware clear prefixes. One context per worker encrypts *all* of the local sender's tracks
// (camera, microphone, screen) with one counter per sender key, and decrypts every remote sender.
//
// Encrypted frame (https://www.rfc-editor.org/rfc/rfc9605.html#section-4.2):
//
//   +----------------+---------------+-------------------------+-------------+
//   | clear prefix   | SFrame header | ciphertext              | tag (16 B*) |
//   | (0, 3 or 10 B) | (1..17 B)     | (= frame - clear bytes) |             |
//   +----------------+---------------+-------------------------+-------------+
//   AAD = SFrame header || clear prefix || label   (header + metadata, RFC 9605 §4.4.3, §9.4)
//
// `label` is optional application metadata that is authenticated but never sent: the caller on
// each side passes what it believes the frame is (the client: which of the sender's sources the
// track carries), so a frame presented under another label fails authentication. A receiver
// may name other labels to tell such a frame (WRONG_LABEL) from a forged one (AUTH_FAILED).
//
// * 16 bytes with the default AES_128_GCM_SHA256_128; the AES-CTR+HMAC suites use 10, 8 or 4.
//
// Bytes added per frame = header + tag. With our 16-bit KIDs (kid.ts) the header is at most
// 1 + 2 + 3 = 6 bytes while CTR < 2^24, i.e. at most 22 bytes per frame.
//
// Nonce uniqueness: nonce = sframe_salt XOR CTR. A sender key is installed once per context
// (`KEY_REUSE` refuses the same (KID, key) twice, so its counter can never restart), the counter is
// reserved synchronously before the async AES-GCM call (JS is single-threaded, so concurrent
// `encrypt` calls from several tracks get distinct counters), and it is never allowed to wrap
// (`COUNTER_EXHAUSTED`). Different senders use different random keys, so their nonces do not collide
// under one key. Running two contexts with the same sender key is the one thing callers must not do.

import { concat, equalBytes, toHex, uintBE, type Bytes, wipe } from './bytes.js';
import { SFrameError, type SFrameErrorCode } from './errors.js';
import { decodeHeader } from './header.js';
import { importFrameKey, sframeDecrypt, sframeEncrypt, type FrameKey } from './cipher.js';
import { generationDistance, kidSlot, ratchetKey } from './kid.js';
import { clearBytesFor, metadataOf, NO_LABEL, type FrameLayout } from './layout.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay.js';
import {
  CipherSuite,
  deriveKeySalt,
  suiteParams,
  type CipherSuiteId,
  type SuiteParams,
} from './suites.js';
import { sha256 } from '@noble/hashes/sha2.js';

export interface SFrameContextOptions {
  /** Default AES_128_GCM_SHA256_128 (0x0004). */
  readonly suite?: CipherSuiteId;
  /** Replay window per receiver key in counters (multiple of 32). Default 1024. */
  readonly replayWindow?: number;
  /** How many join-ratchet steps a receiver derives ahead of a key it holds. 0 disables. Default 8. */
  readonly ratchetWindow?: number;
  /** Highest counter a sender key may use. Default 2^48 - 1. */
  readonly maxCounter?: number;
}

export interface DecryptResult {
  readonly plaintext: Uint8Array;
  readonly kid: number;
  readonly ctr: number;
  /** The owner tag given to `addReceiverKey` (the key agent uses the sender's peerId). */
  readonly owner: string;
}

export interface SFrameStats {
  readonly encrypted: number;
  readonly decrypted: number;
  /** Receiver keys derived by the join ratchet. */
  readonly ratcheted: number;
  readonly failures: Readonly<Record<SFrameErrorCode, number>>;
}

/** Base key lengths: 16 or 32 bytes, or 64 (a SHA-512 suite's ratchet output). */
export const VALID_BASE_KEY_LENGTHS: readonly number[] = [16, 32, 64];
const MAX_FINGERPRINTS = 4096;
const MAX_CANDIDATES = 256;

interface SenderKey extends FrameKey {
  readonly kid: number;
  readonly kidBig: bigint;
  next: number;
}

interface ReceiverKey extends FrameKey {
  readonly kid: number;
  readonly owner: string;
  readonly base: Bytes;
  readonly replay: ReplayWindow;
  /** KID this key was ratcheted from, or null for keys added by the application. */
  readonly parent: number | null;
}

function emptyFailures(): Record<SFrameErrorCode, number> {
  return {
    UNKNOWN_KID: 0,
    AUTH_FAILED: 0,
    WRONG_LABEL: 0,
    REPLAY: 0,
    TOO_OLD: 0,
    MALFORMED: 0,
    NO_SENDER_KEY: 0,
    KEY_REUSE: 0,
    BAD_KEY: 0,
    COUNTER_EXHAUSTED: 0,
    CLOSED: 0,
  };
}

export class SFrameContext {
  private readonly suite: SuiteParams;
  private readonly replaySize: number;
  private readonly ratchetWindow: number;
  private readonly maxCounter: number;
  private sender: SenderKey | null = null;
  private senderEpoch = 0;
  private readonly usedSenderKeys = new Set<string>();
  private readonly receivers = new Map<number, ReceiverKey[]>();
  /** Join-ratchet keys derived for unknown KIDs, not yet confirmed by an authentic frame. */
  private readonly candidates = new Map<string, Promise<ReceiverKey>>();
  private closed = false;
  private encrypted = 0;
  private decrypted = 0;
  private ratcheted = 0;
  private readonly failures = emptyFailures();

  constructor(options: SFrameContextOptions = {}) {
    this.suite = suiteParams(options.suite ?? CipherSuite.AES_128_GCM_SHA256_128);
    this.replaySize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.ratchetWindow = options.ratchetWindow ?? 8;
    this.maxCounter = options.maxCounter ?? 2 ** 48 - 1;
    new ReplayWindow(this.replaySize); // validates the size early
  }

  /** Installs the key for outgoing frames. Its counter starts at 0 and the previous key is dropped. */
  async setSenderKey(kid: number, keyBytes: Uint8Array): Promise<void> {
    this.assertOpen();
    this.checkKey(kid, keyBytes);
    const fp = toHex(sha256(concat(uintBE(BigInt(kid), 8), keyBytes)));
    if (this.usedSenderKeys.has(fp))
      this.fail('KEY_REUSE', `sender key for KID ${kid} was already used`);
    if (this.usedSenderKeys.size >= MAX_FINGERPRINTS) this.usedSenderKeys.clear();
    this.usedSenderKeys.add(fp);
    const epoch = ++this.senderEpoch;
    const { key, salt } = deriveKeySalt(this.suite, BigInt(kid), keyBytes);
    const aeadKey = await importFrameKey(this.suite, key, 'encrypt');
    wipe(key);
    if (epoch !== this.senderEpoch || this.closed) return; // a newer key won the race
    this.sender = { kid, kidBig: BigInt(kid), ...aeadKey, salt, next: 0 };
  }

  /** KID of the current sender key, or null. */
  get senderKid(): number | null {
    return this.sender?.kid ?? null;
  }

  /** Seals one frame; `label` is authenticated, not sent (see the file comment). */
  async encrypt(
    frame: Uint8Array,
    layout: FrameLayout = 'whole',
    label: Uint8Array = NO_LABEL,
  ): Promise<Bytes> {
    this.assertOpen();
    const s = this.sender;
    if (s === null) this.fail('NO_SENDER_KEY', 'no sender key');
    const clear = clearBytesFor(layout, frame);
    if (clear < 0) this.fail('MALFORMED', 'frame shorter than its clear prefix');
    if (s.next > this.maxCounter)
      this.fail('COUNTER_EXHAUSTED', `counter exhausted for KID ${s.kid}`);
    const ctr = s.next++; // reserved before the await: every call gets its own counter
    const prefix = frame.subarray(0, clear);
    const sealed = await sframeEncrypt(
      this.suite,
      s,
      s.kidBig,
      BigInt(ctr),
      metadataOf(prefix, label),
      frame.subarray(clear),
    );
    this.encrypted++;
    return concat(prefix, sealed);
  }

  /**
   * Adds (or replaces) a key for frames from another sender. `owner` separates senders that picked
   * the same KID; both keys are then tried. Re-adding identical bytes keeps the replay window.
   */
  async addReceiverKey(kid: number, keyBytes: Uint8Array, owner = ''): Promise<void> {
    this.assertOpen();
    this.checkKey(kid, keyBytes);
    const existing = this.receivers.get(kid)?.find((r) => r.owner === owner);
    if (existing !== undefined && existing.parent === null && equalBytes(existing.base, keyBytes))
      return;
    const entry = await this.makeReceiver(kid, owner, new Uint8Array(keyBytes), null);
    if (existing !== undefined && equalBytes(existing.base, keyBytes)) {
      // Same key reached by the ratchet before: keep its replay state.
      this.insert({ ...entry, replay: existing.replay });
    } else {
      this.insert(entry);
    }
  }

  /** Removes the key (for one owner, or all owners if omitted) and every key ratcheted from it. */
  removeReceiverKey(kid: number, owner?: string): void {
    this.candidates.clear();
    const list = this.receivers.get(kid);
    if (list === undefined) return;
    const removed = list.filter((r) => owner === undefined || r.owner === owner);
    const kept = list.filter((r) => !removed.includes(r));
    if (kept.length === 0) this.receivers.delete(kid);
    else this.receivers.set(kid, kept);
    for (const r of removed) {
      wipe(r.base);
      for (const [childKid, children] of [...this.receivers]) {
        for (const c of children)
          if (c.parent === kid && c.owner === r.owner) this.removeReceiverKey(childKid, c.owner);
      }
    }
  }

  /** KIDs currently held for decryption (for diagnostics; never the keys). */
  receiverKids(): { kid: number; owner: string; ratcheted: boolean }[] {
    const out: { kid: number; owner: string; ratcheted: boolean }[] = [];
    for (const list of this.receivers.values())
      for (const r of list) out.push({ kid: r.kid, owner: r.owner, ratcheted: r.parent !== null });
    return out;
  }

  /**
   * Decrypts one frame under `label`. A frame that fails there but is authentic under one of
   * `otherLabels` is refused as WRONG_LABEL (it was presented as something it is not), without
   * marking its counter as seen. Throws SFrameError; every failure is counted in `stats()`.
   */
  async decrypt(
    frame: Uint8Array,
    layout: FrameLayout = 'whole',
    label: Uint8Array = NO_LABEL,
    otherLabels: readonly Uint8Array[] = [],
  ): Promise<DecryptResult> {
    this.assertOpen();
    const clear = clearBytesFor(layout, frame);
    if (clear < 0) this.fail('MALFORMED', 'frame shorter than its clear prefix');
    let h;
    try {
      h = decodeHeader(frame, clear);
    } catch (e) {
      if (e instanceof SFrameError) this.fail(e.code, e.message);
      throw e;
    }
    const bodyStart = clear + h.length;
    if (frame.length < bodyStart + this.suite.nt)
      this.fail('MALFORMED', 'frame shorter than header and tag');
    if (h.ctr > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('MALFORMED', 'counter out of range');
    if (h.kid > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('UNKNOWN_KID', 'KID out of range');
    const kid = Number(h.kid);
    const ctr = Number(h.ctr);
    const prefix = frame.subarray(0, clear);
    const header = frame.subarray(clear, bodyStart);
    const body = frame.subarray(bodyStart);
    const metadata = metadataOf(prefix, label);

    const list = this.receivers.get(kid) ?? [];
    let refused: 'REPLAY' | 'TOO_OLD' | null = null;
    for (const r of list) {
      const verdict = r.replay.verdict(ctr);
      if (verdict !== 'fresh') {
        if (refused !== 'REPLAY') refused = verdict === 'seen' ? 'REPLAY' : 'TOO_OLD';
        continue;
      }
      const pt = await sframeDecrypt(this.suite, r, h.ctr, header, metadata, body);
      if (pt !== null) return this.accept(r, ctr, prefix, pt);
      for (const other of otherLabels) {
        const meta = metadataOf(prefix, other);
        if ((await sframeDecrypt(this.suite, r, h.ctr, header, meta, body)) !== null)
          this.fail('WRONG_LABEL', `frame for KID ${kid} carries another label`);
      }
    }

    // No held key opened it: try the join ratchet from keys of the same sender slot (skipping
    // owners that already hold this exact KID).
    const owners = new Set(list.map((r) => r.owner));
    for (const candidate of this.ratchetCandidates(kid, owners)) {
      const r = await candidate;
      const pt = await sframeDecrypt(this.suite, r, h.ctr, header, metadata, body);
      if (pt !== null) {
        if (this.closed) this.fail('CLOSED', 'context closed');
        this.insert(r);
        this.ratcheted++;
        return this.accept(r, ctr, prefix, pt);
      }
    }
    if (list.length === 0) this.fail('UNKNOWN_KID', `no key for KID ${kid}`);
    this.fail(refused ?? 'AUTH_FAILED', `frame for KID ${kid} rejected`);
  }

  stats(): SFrameStats {
    return {
      encrypted: this.encrypted,
      decrypted: this.decrypted,
      ratcheted: this.ratcheted,
      failures: { ...this.failures },
    };
  }

  /** Drops every key. Idempotent; later calls throw `CLOSED`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sender = null;
    for (const list of this.receivers.values()) for (const r of list) wipe(r.base);
    this.receivers.clear();
    this.candidates.clear();
  }

  private accept(r: ReceiverKey, ctr: number, prefix: Uint8Array, pt: Uint8Array): DecryptResult {
    // The window may have moved while the AES-GCM call ran (a twin of this frame, or newer frames).
    const verdict = r.replay.verdict(ctr);
    if (verdict !== 'fresh')
      this.fail(verdict === 'seen' ? 'REPLAY' : 'TOO_OLD', `frame for KID ${r.kid} refused`);
    r.replay.commit(ctr);
    this.decrypted++;
    return { plaintext: concat(prefix, pt), kid: r.kid, ctr, owner: r.owner };
  }

  private *ratchetCandidates(
    kid: number,
    skipOwners: ReadonlySet<string>,
  ): Generator<Promise<ReceiverKey>> {
    if (this.ratchetWindow <= 0) return;
    const slot = kidSlot(kid);
    const roots: ReceiverKey[] = [];
    for (const list of this.receivers.values()) {
      for (const r of list) {
        const d = generationDistance(r.kid, kid);
        if (
          kidSlot(r.kid) === slot &&
          d >= 1 &&
          d <= this.ratchetWindow &&
          !skipOwners.has(r.owner)
        )
          roots.push(r);
      }
    }
    // Nearest ancestor first: fewest derivation steps.
    roots.sort((a, b) => generationDistance(a.kid, kid) - generationDistance(b.kid, kid));
    for (const root of roots) {
      // Cached, so frames that keep failing (a fresh key not yet received) cost no new derivation.
      const cacheKey = `${root.owner}\u0000${root.kid}\u0000${kid}`;
      let candidate = this.candidates.get(cacheKey);
      if (candidate === undefined) {
        let base: Bytes = root.base;
        for (let d = generationDistance(root.kid, kid); d > 0; d--)
          base = ratchetKey(base, this.suite.id);
        candidate = this.makeReceiver(kid, root.owner, base, root.kid);
        if (this.candidates.size >= MAX_CANDIDATES) this.candidates.clear();
        this.candidates.set(cacheKey, candidate);
      }
      yield candidate;
    }
  }

  private async makeReceiver(
    kid: number,
    owner: string,
    base: Bytes,
    parent: number | null,
  ): Promise<ReceiverKey> {
    const { key, salt } = deriveKeySalt(this.suite, BigInt(kid), base);
    const aeadKey = await importFrameKey(this.suite, key, 'decrypt');
    wipe(key);
    return {
      kid,
      owner,
      base,
      ...aeadKey,
      salt,
      replay: new ReplayWindow(this.replaySize),
      parent,
    };
  }

  private insert(entry: ReceiverKey): void {
    if (this.closed) return;
    this.candidates.clear();
    const list = (this.receivers.get(entry.kid) ?? []).filter((r) => r.owner !== entry.owner);
    list.push(entry);
    this.receivers.set(entry.kid, list);
  }

  private checkKey(kid: number, keyBytes: Uint8Array): void {
    if (!Number.isSafeInteger(kid) || kid < 0)
      this.fail('BAD_KEY', 'KID must be a non-negative safe integer');
    if (!(keyBytes instanceof Uint8Array) || !VALID_BASE_KEY_LENGTHS.includes(keyBytes.length)) {
      this.fail('BAD_KEY', 'key must be a Uint8Array of 16, 32 or 64 bytes');
    }
  }

  private assertOpen(): void {
    if (this.closed) this.fail('CLOSED', 'SFrameContext is closed');
  }

  private fail(code: SFrameErrorCode, message: string): never {
    this.failures[code]++;
    throw new SFrameError(code, message);
  }
}
