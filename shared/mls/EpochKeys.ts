// The epoch switch: which MLS epochs' SFrame keys an SFrameContext holds, and which one it sends on.
//
// Rules (docs/protocol.md, "MLS design"):
// - Receivers install an epoch's keys as soon as the member processed its commit (`install`).
// - The sender keeps sending on the old epoch until every member is ready (`markAllReady`, the
//   server's signal once all members acknowledged the epoch) or `switchTimeoutMs` (<= 1 s) passed.
// - A previous epoch is kept for `graceMs` (<= 5 s) after its successor was installed, for frames
//   still in flight, then erased (keys removed from the context, base key wiped). Each previous
//   epoch keeps its own grace: two commits in quick succession must not erase the epoch a slower
//   member was still sending on a moment ago (its in-flight frames would be lost).
// - At most MAX_PREVIOUS_EPOCHS previous epochs are kept: one more erases the oldest at once; if
//   the sender was still on it, the sender moves to the newest epoch immediately (rapid churn
//   beats the wait). The sender's switch timer is armed by the first pending epoch and not pushed
//   back by later ones, so a steady stream of commits cannot keep it on an old epoch beyond 1 s.
// - An epoch at or below the highest one ever installed is refused with EPOCH_ERASED, whatever a
//   relay replays, so an erased epoch can never come back and a replay window never restarts.
//
// Time is passed in (`now`, milliseconds), so the rules are deterministic under test; the client
// drives `tick` from a timer.

import type { SFrameContext } from '../sframe/index.js';
import { MlsLayerError } from './errors.js';
import { makeMlsKid } from './sframeKeys.js';

export const MAX_SWITCH_TIMEOUT_MS = 1000;
export const MAX_GRACE_MS = 5000;
/**
 * Previous epochs held besides the current one. With the 4 epoch bits of the KID (16 values), 1 +
 * 3 held epochs can never share a KID.
 */
export const MAX_PREVIOUS_EPOCHS = 3;

export interface EpochKeysOptions {
  readonly switchTimeoutMs?: number;
  readonly graceMs?: number;
}

interface InstalledEpoch {
  readonly epoch: bigint;
  readonly baseKey: Uint8Array;
  readonly leaves: readonly number[];
  /** The receiver-key owner tag per leaf (SFrameContext's `owner`). */
  readonly owners: readonly string[];
  readonly ownLeaf: number;
  eraseAt: number;
}

type FrameKeys = Pick<SFrameContext, 'setSenderKey' | 'addReceiverKey' | 'removeReceiverKey'>;

export class EpochKeys {
  private readonly switchTimeoutMs: number;
  private readonly graceMs: number;
  private current: InstalledEpoch | null = null;
  /** Previous epochs, newest first, each until its `eraseAt`. */
  private previous: InstalledEpoch[] = [];
  private highest = -1n;
  private sending: bigint | null = null;
  private switchAt: number | null = null;
  private closed = false;

  constructor(
    private readonly ctx: FrameKeys,
    options: EpochKeysOptions = {},
  ) {
    this.switchTimeoutMs = options.switchTimeoutMs ?? MAX_SWITCH_TIMEOUT_MS;
    this.graceMs = options.graceMs ?? MAX_GRACE_MS;
    if (!(this.switchTimeoutMs >= 0 && this.switchTimeoutMs <= MAX_SWITCH_TIMEOUT_MS))
      throw new MlsLayerError('BAD_INPUT', 'switch timeout must be 0..1000 ms');
    if (!(this.graceMs >= this.switchTimeoutMs && this.graceMs <= MAX_GRACE_MS))
      throw new MlsLayerError('BAD_INPUT', 'grace must be switch timeout..5000 ms');
  }

  /** Epoch the sender encrypts with, or null before the first install. */
  get senderEpoch(): bigint | null {
    return this.sending;
  }

  /** Epochs whose receiver keys are held, newest first. */
  installedEpochs(): bigint[] {
    return [this.current, ...this.previous].filter((e) => e !== null).map((e) => e.epoch);
  }

  /**
   * Installs the receiver keys of `epoch` for every leaf but `ownLeaf`; `baseKey` is the epoch's
   * exported SFrame base key (copied; the caller may wipe its own). `ownerOf` names each leaf's
   * keys (the client passes the leaf's peer id, which the frame worker checks against the track's
   * sender); the default is one tag per epoch. Throws EPOCH_ERASED for an epoch at or below one
   * seen before.
   */
  async install(
    epoch: bigint,
    baseKey: Uint8Array,
    leaves: readonly number[],
    ownLeaf: number,
    now: number,
    ownerOf: (leaf: number) => string = () => `epoch:${epoch}`,
  ): Promise<void> {
    this.assertOpen();
    if (epoch <= this.highest)
      throw new MlsLayerError('EPOCH_ERASED', `epoch ${epoch} is not newer than ${this.highest}`);
    this.highest = epoch;
    const entry: InstalledEpoch = {
      epoch,
      baseKey: new Uint8Array(baseKey),
      leaves: [...leaves],
      owners: leaves.map((l) => ownerOf(l)),
      ownLeaf,
      eraseAt: Number.POSITIVE_INFINITY,
    };
    for (const [i, leaf] of entry.leaves.entries())
      if (leaf !== ownLeaf)
        await this.ctx.addReceiverKey(makeMlsKid(leaf, epoch), baseKey, entry.owners[i]);
    let forceSwitch = this.sending === null;
    if (this.current !== null) {
      this.current.eraseAt = now + this.graceMs;
      this.previous.unshift(this.current);
    }
    this.current = entry;
    for (const old of this.previous.splice(MAX_PREVIOUS_EPOCHS)) {
      if (this.sending === old.epoch) forceSwitch = true;
      this.erase(old);
    }
    if (forceSwitch) await this.switchSender();
    else this.switchAt ??= now + this.switchTimeoutMs;
  }

  /** Every member reported `epoch` installed: the sender may switch now. */
  async markAllReady(epoch: bigint): Promise<void> {
    this.assertOpen();
    if (this.current !== null && this.current.epoch === epoch && this.sending !== epoch)
      await this.switchSender();
  }

  /** Applies the timers: the sender switch timeout and the previous epoch's grace. */
  async tick(now: number): Promise<void> {
    this.assertOpen();
    if (this.switchAt !== null && now >= this.switchAt) await this.switchSender();
    const due = this.previous.filter((e) => now >= e.eraseAt);
    if (due.length === 0) return;
    this.previous = this.previous.filter((e) => now < e.eraseAt);
    // The sender is never on one of them: it switched within switchTimeoutMs <= graceMs.
    for (const e of due) this.erase(e);
  }

  /** Erases every epoch (removed from the group, or leaving). Later installs must still be newer. */
  eraseAll(): void {
    for (const e of this.previous) this.erase(e);
    if (this.current !== null) this.erase(this.current);
    this.previous = [];
    this.current = null;
    this.sending = null;
    this.switchAt = null;
  }

  close(): void {
    if (this.closed) return;
    this.eraseAll();
    this.closed = true;
  }

  private async switchSender(): Promise<void> {
    const cur = this.current;
    this.switchAt = null;
    if (cur === null || this.sending === cur.epoch) return;
    this.sending = cur.epoch;
    await this.ctx.setSenderKey(makeMlsKid(cur.ownLeaf, cur.epoch), cur.baseKey);
  }

  private erase(e: InstalledEpoch): void {
    for (const [i, leaf] of e.leaves.entries())
      if (leaf !== e.ownLeaf) this.ctx.removeReceiverKey(makeMlsKid(leaf, e.epoch), e.owners[i]);
    e.baseKey.fill(0);
  }

  private assertOpen(): void {
    if (this.closed) throw new MlsLayerError('CLOSED', 'EpochKeys is closed');
  }
}
