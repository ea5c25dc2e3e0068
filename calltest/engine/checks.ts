/**
 * From what a run recorded to the report: each participant's figures and the checks that pass or
 * fail. Pure functions of the record (what receivers perceived at the end: perception.ts).
 */
import { CAMERA } from '../media/fakeMedia.js';
import { redactLink } from '../link.js';
import {
  REPORT_FORMAT,
  type CallTestReport,
  type CheckResult,
  type ParticipantReport,
  type ReceivedFrom,
  type UnknownPeer,
} from '../report/Report.js';
import type { SyntheticParticipant } from '../synthetic/SyntheticParticipant.js';
import type { BrowserParticipant, SenderSample } from './BrowserParticipant.js';
import type { CallTestOptions } from './CallTest.js';
import { PERCEPTION_WINDOW_MS, type Perception, type Toggle } from './perception.js';
import { browserFromSynthetic, pairChecks, syntheticReport } from './syntheticChecks.js';

export interface RunRecord {
  readonly options: CallTestOptions;
  readonly link: string;
  readonly createdRoom: boolean;
  readonly startedAt: number;
  readonly measuredMs: number;
  readonly stable: readonly BrowserParticipant[];
  readonly churners: readonly BrowserParticipant[];
  readonly synthetic: readonly SyntheticParticipant[];
  readonly churn: { joins: number; leaves: number; failedJoins: number };
  readonly perception: Perception;
  readonly toggles: readonly Toggle[];
  /** The participant that shared its screen (`--screen-share`), or null. */
  readonly sharer: BrowserParticipant | null;
}

/** Longest stretch in which failures grew while nothing decrypted, ms. */
export function undecryptableMs(history: readonly SenderSample[]): number {
  let longest = 0;
  let start: number | null = null;
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1]!;
    const b = history[i]!;
    const decrypted = b.framesDecrypted > a.framesDecrypted;
    const failed = b.failures > a.failures;
    if (decrypted) start = null;
    else if (failed && start === null) start = a.t;
    if (start !== null) longest = Math.max(longest, b.t - start);
  }
  return longest;
}

/** Simulcast layer of a picture height: 0 for ¼ of the camera's height, 1 for ½, 2 for full. */
export function layerOf(height: number): number {
  const steps = Math.round(Math.log2(CAMERA.height / height));
  return Math.max(0, Math.min(2, 2 - steps));
}

function overlapsToggle(
  gap: readonly [number, number, number, number],
  sender: BrowserParticipant,
  toggles: readonly Toggle[],
): boolean {
  // The camera off and the first frames after it is on again are not a freeze.
  return toggles.some(
    (t) =>
      t.peer === sender &&
      gap[1] >= t.offAt &&
      gap[0] <= (t.onAt === Infinity ? Infinity : t.onAt + 3000),
  );
}

function kbps(bytes: number, ms: number): number {
  // Sums fall when a receiving stream ends mid-run (its counters leave the total): never below 0.
  return ms > 0 ? Math.max(0, Math.round((bytes * 8) / ms)) : 0;
}

function participantReport(
  p: BrowserParticipant,
  record: RunRecord,
  checks: CheckResult[],
): ParticipantReport {
  const joined = record.stable.filter((x) => x.peerId !== null);
  const heard = record.perception.get(p);
  const received: ReceivedFrom[] = [];
  const byReason: Record<string, number> = {};
  let failures = 0;
  for (const s of p.last?.senders ?? []) {
    failures += s.failures;
    for (const [reason, n] of Object.entries(s.failuresByReason))
      byReason[reason] = (byReason[reason] ?? 0) + n;
  }
  for (const sender of joined) {
    if (sender === p || p.peerId === null || sender.peerId === null) continue;
    const h = heard?.get(sender.peerId);
    const d = p.last?.senders.find((s) => s.peerId === sender.peerId);
    const gaps = (h?.video?.longGaps ?? []).filter(
      (g) => !overlapsToggle(g, sender, record.toggles),
    );
    const heights = [...(p.heights.get(sender.peerId) ?? [])].sort((a, b) => a - b);
    const picture = h?.picture ?? {
      expected: sender.identity.colour,
      seen: null,
      distinctFrames: 0,
      ok: false,
    };
    const sound = h?.sound ?? {
      expectedHz: sender.identity.toneHz,
      heardHz: null,
      beeps: 0,
      ok: false,
    };
    const r: ReceivedFrom = {
      from: sender.name,
      peerId: sender.peerId,
      framesDecrypted: d?.framesDecrypted ?? 0,
      decryptFailures: d?.failures ?? 0,
      undecryptableMs: undecryptableMs(p.history.get(sender.peerId) ?? []),
      picture,
      sound,
      freezes: {
        over500ms: gaps.filter((g) => g[1] - g[0] > 500).length,
        over1s: gaps.filter((g) => g[1] - g[0] > 1000).length,
        longestMs: Math.round(Math.max(0, ...gaps.map((g) => g[1] - g[0]))),
      },
      screen: sender === record.sharer ? (h?.screen ?? { frames: 0, ok: false }) : null,
      frames: null,
      heights,
      layers: [...new Set(heights.map(layerOf))].sort(),
    };
    received.push(r);
    const pair = `${p.name} ← ${sender.name}`;
    checks.push({
      check: 'PICTURE',
      ok: picture.ok,
      participant: p.name,
      message: picture.ok
        ? `${pair}: ${picture.seen} picture, ${picture.distinctFrames} distinct frames`
        : `${pair}: expected the ${picture.expected} picture moving, saw ${picture.seen ?? 'none'} ` +
          `(${picture.distinctFrames} distinct frames in the last ${PERCEPTION_WINDOW_MS / 1000} s)`,
    });
    checks.push({
      check: 'SOUND',
      ok: sound.ok,
      participant: p.name,
      message: sound.ok
        ? `${pair}: ${sound.heardHz} Hz tone, ${sound.beeps} beeps`
        : `${pair}: expected ${sound.expectedHz} Hz beeps, heard ${sound.beeps} beeps at ` +
          `${sound.heardHz ?? '-'} Hz in the last ${PERCEPTION_WINDOW_MS / 1000} s`,
    });
    if (r.screen)
      checks.push({
        check: 'SCREEN',
        ok: r.screen.ok,
        participant: p.name,
        message: r.screen.ok
          ? `${pair}: shared screen, ${r.screen.frames} frames`
          : `${pair}: expected ${sender.name}'s shared screen moving, saw ${r.screen.frames} frames ` +
            `in the last ${PERCEPTION_WINDOW_MS / 1000} s`,
      });
    pairChecks(record, checks, p, sender, r, d?.inRoster ?? false);
  }
  for (const sender of record.synthetic) {
    if (p.peerId === null || sender.peerId === null) continue;
    received.push(browserFromSynthetic(p, sender, record, checks));
  }
  const w0 = p.webrtcStart;
  const w1 = p.webrtcEnd;
  const ms = w0 && w1 ? w1.now - w0.now : 0;
  // Cumulative RTCP loss can fall (late and retransmitted packets count as received), and the
  // sums fall when a receiving stream ends mid-run: a window's loss is never below zero.
  const lost = Math.max(
    0,
    w0 && w1
      ? w1.inbound.video.packetsLost +
          w1.inbound.audio.packetsLost -
          w0.inbound.video.packetsLost -
          w0.inbound.audio.packetsLost
      : 0,
  );
  const got =
    w0 && w1
      ? w1.inbound.video.packets +
        w1.inbound.audio.packets -
        w0.inbound.video.packets -
        w0.inbound.audio.packets
      : 0;
  // Every sample over the run counts: one bare track at any time is media the server could read.
  const transformsAttached = p.tracksSeen > 0 && p.bareTracks.size === 0;
  if (p.peerId !== null)
    checks.push({
      check: 'E2EE_TRANSFORM',
      ok: transformsAttached,
      participant: p.name,
      message: transformsAttached
        ? `${p.name}: all of its up to ${p.tracksSeen} sending and receiving tracks passed through an encoded transform`
        : p.tracksSeen === 0
          ? `${p.name}: no sending or receiving track was ever seen, so none could be checked`
          : `${p.name}: ${p.bareTracks.size} tracks (${[...p.bareTracks].join(', ')}) had no encoded transform: that media is not end-to-end encrypted`,
    });
  const reconnects = (p.last?.events ?? []).filter(
    (e) => e.type === 'phase' && e.phase === 'reconnecting',
  ).length;
  return {
    name: p.name,
    kind: p.kind,
    colour: p.identity.colour,
    toneHz: p.identity.toneHz,
    peerId: p.peerId,
    joined: p.peerId !== null,
    joinMs: p.joinMs,
    firstFrameMs: p.firstFrameMs,
    securityCode: p.last?.securityCode?.full ?? null,
    transformMode: p.last?.transformMode ?? null,
    transformsAttached,
    framesEncrypted: p.last?.local.framesEncrypted ?? 0,
    reconnects,
    decryptFailures: { total: failures, byReason },
    received,
    stats: {
      inKbps: {
        audio: kbps((w1?.inbound.audio.bytes ?? 0) - (w0?.inbound.audio.bytes ?? 0), ms),
        video: kbps((w1?.inbound.video.bytes ?? 0) - (w0?.inbound.video.bytes ?? 0), ms),
      },
      outKbps: {
        audio: kbps((w1?.outbound.audio.bytes ?? 0) - (w0?.outbound.audio.bytes ?? 0), ms),
        video: kbps((w1?.outbound.video.bytes ?? 0) - (w0?.outbound.video.bytes ?? 0), ms),
      },
      lossFraction: got > 0 ? Number((lost / (got + lost)).toFixed(4)) : 0,
      jitterMs: Math.round(
        ((w1?.inbound.audio.jitter ?? 0) + (w1?.inbound.video.jitter ?? 0)) * 500,
      ),
      rttMs: w1?.rtt == null ? null : Math.round(w1.rtt * 1000),
      sendingHeights: w1?.outboundHeights ?? [],
    },
    impairedLink: p.linkCounters(),
    errors: p.errors.slice(0, 20).map(redactLink),
  };
}

/** Peer ids a page listed that none of the run's participants had. */
function unknownPeers(record: RunRecord): UnknownPeer[] {
  const ours = new Set(
    [...record.stable, ...record.churners, ...record.synthetic].flatMap((p) => [...p.peerIds]),
  );
  const seen = new Map<string, { seenBy: string[]; admitted: boolean }>();
  for (const p of [...record.stable, ...record.synthetic]) {
    for (const [peerId, admitted] of p.seenPeers) {
      if (ours.has(peerId)) continue;
      const e = seen.get(peerId) ?? { seenBy: [], admitted: false };
      e.seenBy.push(p.name);
      e.admitted ||= admitted;
      seen.set(peerId, e);
    }
  }
  return [...seen].map(([peerId, e]) => ({ peerId, ...e }));
}

export function buildReport(record: RunRecord): Omit<CallTestReport, 'tool'> {
  const checks: CheckResult[] = [];
  const o = record.options;
  for (const p of [...record.stable, ...record.synthetic]) {
    checks.push({
      check: 'JOIN',
      ok: p.peerId !== null,
      participant: p.name,
      message:
        p.peerId !== null
          ? `${p.name} joined in ${p.joinMs} ms`
          : `${p.name} could not join: ${p.joinError}`,
    });
    if (p.peerId !== null)
      checks.push({
        check: 'FIRST_FRAME',
        ok: p.firstFrameMs !== null,
        participant: p.name,
        message:
          p.firstFrameMs !== null
            ? `${p.name} decrypted its first frame ${p.firstFrameMs} ms after Join`
            : `${p.name} never decrypted a frame from anyone`,
      });
  }
  if (record.churn.failedJoins > 0)
    checks.push({
      check: 'JOIN',
      ok: false,
      participant: null,
      message: `${record.churn.failedJoins} of ${record.churn.joins + record.churn.failedJoins} churn joins failed`,
    });
  const participants = [
    ...record.stable.map((p) => participantReport(p, record, checks)),
    ...record.synthetic.map((p) => syntheticReport(p, record, checks)),
  ];
  const joined = participants.filter((p) => p.joined);
  const codes = new Set(joined.map((p) => p.securityCode));
  const codesOk = joined.length > 0 && codes.size === 1 && !codes.has(null);
  checks.push({
    check: 'SECURITY_CODE',
    ok: codesOk,
    participant: null,
    message: codesOk
      ? `all ${joined.length} pages show the same security code`
      : `the pages show ${codes.size} different security codes: ${joined.map((p) => `${p.name} ${p.securityCode ?? 'none'}`).join(', ')}`,
  });
  const unknown = unknownPeers(record);
  for (const u of unknown) {
    if (u.admitted) continue;
    checks.push({
      check: 'UNADMITTED',
      ok: false,
      participant: null,
      message: `peer ${u.peerId} joined the room's signalling but the key protocol never admitted it (seen by ${u.seenBy.join(', ')}): not one of this run's participants`,
    });
  }
  const failing = checks.filter((c) => !c.ok);
  const received = participants.flatMap((p) => p.received);
  const order: CheckResult['check'][] = [
    'JOIN',
    'E2EE_TRANSFORM',
    'UNADMITTED',
    'SECURITY_CODE',
    'UNDECRYPTABLE',
    'FIRST_FRAME',
    'FRAMES',
    'PICTURE',
    'SOUND',
  ];
  failing.sort((a, b) => order.indexOf(a.check) - order.indexOf(b.check));
  const max = (xs: (number | null)[]): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  };
  return {
    format: REPORT_FORMAT,
    result: failing.length === 0 ? 'pass' : 'fail',
    reasons: failing.map((c) => `${c.check}: ${c.message}`),
    target: {
      origin: o.target.origin,
      room: redactLink(record.link),
      createdRoom: record.createdRoom,
    },
    options: {
      browsers: o.browsers,
      firefox: o.firefox,
      synthetic: o.synthetic,
      syntheticVideoKbps: o.syntheticVideoKbps,
      syntheticReceive: o.syntheticReceive,
      durationS: o.durationS,
      churnPerMinute: o.churnPerMinute,
      toggleCamera: o.toggleCamera,
      screenShare: o.screenShare,
      lossPercent: o.impairment?.lossPercent ?? 0,
      delayMs: o.impairment?.delayMs ?? 0,
    },
    startedAt: new Date(record.startedAt).toISOString(),
    endedAt: new Date().toISOString(),
    measuredMs: record.measuredMs,
    checks,
    participants,
    unknownPeers: unknown,
    churn: { ...record.churn },
    totals: {
      participants: participants.length,
      joined: joined.length,
      maxJoinMs: max(participants.map((p) => p.joinMs)),
      maxFirstFrameMs: max(participants.map((p) => p.firstFrameMs)),
      // A browser pair has a picture and a sound to check; a pair with a synthetic end, frames.
      streamsExpected: received.reduce((n, r) => n + (r.picture ? 2 : 1), 0),
      streamsOk: received.reduce(
        (n, r) => n + (r.picture?.ok ? 1 : 0) + (r.sound?.ok ? 1 : 0) + (r.frames?.ok ? 1 : 0),
        0,
      ),
      freezesOver500ms: received.reduce((n, r) => n + r.freezes.over500ms, 0),
      freezesOver1s: received.reduce((n, r) => n + r.freezes.over1s, 0),
      decryptFailures: participants.reduce((n, p) => n + p.decryptFailures.total, 0),
      reconnects: participants.reduce((n, p) => n + p.reconnects, 0),
      distinctSecurityCodes: codes.size,
    },
  };
}
