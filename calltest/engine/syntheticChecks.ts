/**
 * The report's figures and checks for pairs with a synthetic end (calltest/synthetic). A
 * synthetic sender has no picture or tone, so what is checked is that its frames decrypt at
 * every receiver and keep arriving, and, at a synthetic receiver, that each frame's mark (its
 * source and its place in the sender's sequence) is right after decryption.
 */
import { SyntheticParticipant } from '../synthetic/SyntheticParticipant.js';
import type { CheckResult, ParticipantReport, ReceivedFrom } from '../report/Report.js';
import type { BrowserParticipant, SenderSample } from './BrowserParticipant.js';
import { undecryptableMs, type RunRecord } from './checks.js';

/** A sender's frames must still be decrypting over the run's last this many ms. */
export const STILL_DECRYPTING_MS = 5000;

export type AnyParticipant = BrowserParticipant | SyntheticParticipant;

/** Frames decrypted in the last `windowMs` of the samples (0 when none or too few). */
export function recentlyDecrypted(history: readonly SenderSample[], windowMs: number): number {
  const last = history[history.length - 1];
  if (!last) return 0;
  let base = history[0]!;
  for (const s of history) if (s.t <= last.t - windowMs) base = s;
  return last.framesDecrypted - base.framesDecrypted;
}

function kbps(bytes: number, ms: number): number {
  return ms > 0 ? Math.round((bytes * 8) / ms) : 0;
}

/** The checks every pair gets: no undecryptable stretch past the bound, sender admitted. */
export function pairChecks(
  record: RunRecord,
  checks: CheckResult[],
  receiver: AnyParticipant,
  sender: AnyParticipant,
  r: ReceivedFrom,
  admitted: boolean,
): void {
  const pair = `${receiver.name} ← ${sender.name}`;
  const bound = record.options.undecryptableBoundMs;
  checks.push({
    check: 'UNDECRYPTABLE',
    ok: r.undecryptableMs <= bound,
    participant: receiver.name,
    message: `${pair}: undecryptable media for at most ${r.undecryptableMs} ms (bound ${bound} ms)`,
  });
  checks.push({
    check: 'UNADMITTED',
    ok: admitted,
    participant: receiver.name,
    message: admitted
      ? `${pair}: admitted by the key protocol`
      : `${pair}: ${sender.name} (peer ${sender.peerId}) is in the call but the key protocol never admitted it on ${receiver.name}'s side`,
  });
}

/** What a browser received from a synthetic sender: frames that decrypt, still arriving. */
export function browserFromSynthetic(
  p: BrowserParticipant,
  sender: SyntheticParticipant,
  record: RunRecord,
  checks: CheckResult[],
): ReceivedFrom {
  const d = p.last?.senders.find((s) => s.peerId === sender.peerId);
  const history = p.history.get(sender.peerId!) ?? [];
  const recent = recentlyDecrypted(history, STILL_DECRYPTING_MS);
  const r: ReceivedFrom = {
    from: sender.name,
    peerId: sender.peerId,
    framesDecrypted: d?.framesDecrypted ?? 0,
    decryptFailures: d?.failures ?? 0,
    undecryptableMs: undecryptableMs(history),
    picture: null,
    sound: null,
    screen: null,
    frames: { recent, audio: null, video: null, marks: null, ok: recent > 0 },
    freezes: { over500ms: 0, over1s: 0, longestMs: 0 },
    heights: [],
    layers: [],
  };
  checks.push({
    check: 'FRAMES',
    ok: recent > 0,
    participant: p.name,
    message:
      recent > 0
        ? `${p.name} ← ${sender.name}: ${r.framesDecrypted} frames decrypted, ${recent} in the last ${STILL_DECRYPTING_MS / 1000} s`
        : `${p.name} ← ${sender.name}: no frame decrypted in the last ${STILL_DECRYPTING_MS / 1000} s (${r.framesDecrypted} in all)`,
  });
  pairChecks(record, checks, p, sender, r, d?.inRoster ?? false);
  return r;
}

/** What a synthetic participant received from one sender. */
function syntheticFrom(
  p: SyntheticParticipant,
  sender: AnyParticipant,
  record: RunRecord,
  checks: CheckResult[],
): ReceivedFrom {
  const f = p.from.get(sender.peerId!);
  const streams = f?.streams ?? [];
  const sum = (pick: (s: (typeof streams)[number]) => number): number =>
    streams.reduce((n, s) => n + pick(s), 0);
  const audio = sum((s) => (s.source === 'microphone' ? s.decrypted : 0));
  const video = sum((s) => (s.source === 'microphone' ? 0 : s.decrypted));
  const marked = sum((s) => s.marked);
  const badMarks = sum((s) => s.badMarks);
  const synthetic = sender.kind === 'synthetic';
  const history = p.history.get(sender.peerId!) ?? [];
  const recent = recentlyDecrypted(history, STILL_DECRYPTING_MS);
  // Video is expected from a browser, or from a synthetic sender that sends video.
  const sendsVideo = !(sender instanceof SyntheticParticipant) || sender.options.videoKbps > 0;
  const wantsVideo = p.options.receive === 'all' && sendsVideo;
  const ok =
    audio > 0 &&
    (video > 0 || !wantsVideo) &&
    recent > 0 &&
    (!synthetic || (marked > 0 && badMarks === 0));
  const since = p.windowStart?.t ?? 0;
  const freezes = streams
    .filter((s) => s.source !== 'microphone')
    .flatMap((s) => s.freezes.filter(([from]) => from >= since).map(([a, b]) => b - a));
  const r: ReceivedFrom = {
    from: sender.name,
    peerId: sender.peerId,
    framesDecrypted: audio + video,
    decryptFailures: f?.failures ?? 0,
    undecryptableMs: undecryptableMs(history),
    picture: null,
    sound: null,
    screen: null,
    frames: {
      recent,
      audio,
      video,
      marks: synthetic
        ? {
            marked,
            bad: badMarks,
            missing: sum((s) => s.framesMissing),
            meanLatencyMs:
              marked > 0 ? Number((sum((s) => s.latencyMsSum) / marked).toFixed(1)) : null,
          }
        : null,
      ok,
    },
    freezes: {
      over500ms: freezes.filter((ms) => ms > 500).length,
      over1s: freezes.filter((ms) => ms > 1000).length,
      longestMs: Math.round(Math.max(0, ...freezes)),
    },
    heights: [],
    layers: [],
  };
  const pair = `${p.name} ← ${sender.name}`;
  checks.push({
    check: 'FRAMES',
    ok,
    participant: p.name,
    message: ok
      ? `${pair}: ${audio} audio and ${video} video frames decrypted` +
        (synthetic ? `, ${marked} marks right` : '')
      : `${pair}: ${audio} audio and ${video} video frames decrypted, ${recent} in the last ` +
        `${STILL_DECRYPTING_MS / 1000} s` +
        (synthetic ? `; ${marked} marked frames, ${badMarks} with a wrong source or order` : ''),
  });
  pairChecks(record, checks, p, sender, r, p.seenPeers.get(sender.peerId!) ?? false);
  return r;
}

export function syntheticReport(
  p: SyntheticParticipant,
  record: RunRecord,
  checks: CheckResult[],
): ParticipantReport {
  const senders: AnyParticipant[] = [...record.stable, ...record.synthetic].filter(
    (s) => s !== p && s.peerId !== null,
  );
  const receives = p.peerId !== null && p.options.receive !== 'none';
  const received = receives ? senders.map((s) => syntheticFrom(p, s, record, checks)) : [];
  const byReason: Record<string, number> = {};
  let failures = 0;
  for (const f of p.from.values()) {
    failures += f.failures;
    for (const [reason, n] of Object.entries(f.byReason))
      byReason[reason] = (byReason[reason] ?? 0) + n;
  }
  const w0 = p.windowStart;
  const w1 = p.windowEnd;
  const ms = w0 && w1 ? w1.t - w0.t : 0;
  const got = w0 && w1 ? w1.packets - w0.packets : 0;
  const lost = w0 && w1 ? Math.max(0, w1.packetsLost - w0.packetsLost) : 0;
  return {
    name: p.name,
    kind: 'synthetic',
    colour: null,
    toneHz: null,
    peerId: p.peerId,
    joined: p.peerId !== null,
    joinMs: p.joinMs,
    firstFrameMs: p.firstFrameMs,
    securityCode: p.securityCode,
    transformMode: 'synthetic',
    // It seals every frame itself before werift sends it: no track leaves it unencrypted.
    transformsAttached: p.peerId !== null,
    framesEncrypted: p.framesEncrypted,
    reconnects: p.reconnects,
    decryptFailures: { total: failures, byReason },
    received,
    stats: {
      inKbps: {
        audio: kbps((w1?.inBytes.audio ?? 0) - (w0?.inBytes.audio ?? 0), ms),
        video: kbps((w1?.inBytes.video ?? 0) - (w0?.inBytes.video ?? 0), ms),
      },
      outKbps: {
        audio: kbps((w1?.outBytes.audio ?? 0) - (w0?.outBytes.audio ?? 0), ms),
        video: kbps((w1?.outBytes.video ?? 0) - (w0?.outBytes.video ?? 0), ms),
      },
      lossFraction: got + lost > 0 ? Number((lost / (got + lost)).toFixed(4)) : 0,
      jitterMs: 0,
      rttMs: null,
      sendingHeights: [],
    },
    impairedLink: null,
    errors: p.errors.slice(0, 20),
  };
}
