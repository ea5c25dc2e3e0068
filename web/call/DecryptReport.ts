/**
 * Turns the per-peer decrypt-failure counters of the call model into the anonymous report the
 * SFU aggregates for operators (`reportDecryptFailures`): counts by reason since the previous
 * report, and nothing else (no peer, key or frame ids leave the browser). The model's counters
 * are cumulative per receiving transform and can go down when a transform goes away; such a
 * drop only moves the baseline, it is never reported as a negative count.
 */
import {
  DECRYPT_FAILURE_REASONS,
  DECRYPT_REPORT_MAX_COUNT,
  type DecryptFailureReason,
} from '../../shared/protocol/index.js';

export type FailureCounts = Readonly<Partial<Record<string, number>>>;

export class DecryptReport {
  /** What was last seen, per peer and reason. */
  private readonly seen = new Map<string, Map<DecryptFailureReason, number>>();

  /** The counts to report now, from every peer's current counters (by peer id). */
  take(
    perPeer: ReadonlyMap<string, FailureCounts>,
  ): { reason: DecryptFailureReason; count: number }[] {
    const totals = new Map<DecryptFailureReason, number>();
    for (const [peerId, counts] of perPeer) {
      const seen = this.seen.get(peerId) ?? new Map<DecryptFailureReason, number>();
      this.seen.set(peerId, seen);
      for (const reason of DECRYPT_FAILURE_REASONS) {
        const now = counts[reason] ?? 0;
        const before = seen.get(reason) ?? 0;
        if (now > before) totals.set(reason, (totals.get(reason) ?? 0) + now - before);
        seen.set(reason, now);
      }
    }
    for (const peerId of this.seen.keys()) if (!perPeer.has(peerId)) this.seen.delete(peerId);
    return [...totals].map(([reason, count]) => ({
      reason,
      count: Math.min(count, DECRYPT_REPORT_MAX_COUNT),
    }));
  }
}
