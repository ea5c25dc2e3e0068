/**
 * One call test against a deployment: launches the participants, joins them to one room (a new
 * one, made by the first page the way a person makes it, or the invite link given), measures
 * for the run's duration while churning, toggling the camera or sharing the screen if asked,
 * then checks what each participant saw and heard and builds the report (checks.ts).
 *
 * Every browser it starts is closed when the run ends, fails or is aborted (`signal`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { newRoomLink } from '../app.js';
import { IDENTITIES, type MediaIdentity } from '../media/identity.js';
import {
  MAX_DELAY_MS,
  MAX_LOSS_PERCENT,
  NO_IMPAIRMENT,
  type Impairment,
} from '../network/ImpairedLink.js';
import { isLoopbackHost, redactLink, type Target } from '../link.js';
import type { CallTestReport, ParticipantKind } from '../report/Report.js';
import { parseRoute } from '../../web/util/route.js';
import { createRoom, inviteLink } from '../../web/util/route.js';
import {
  SYNTHETIC_DEFAULTS,
  SyntheticParticipant,
  type SyntheticReceive,
} from '../synthetic/SyntheticParticipant.js';
import { BrowserParticipant } from './BrowserParticipant.js';
import { buildReport, type RunRecord } from './checks.js';
import { finalPerception } from './perception.js';

export interface CallTestOptions {
  readonly target: Target;
  readonly browsers: number;
  readonly firefox: number;
  /** Synthetic participants (Node, werift, marked frames) joined after the browsers. */
  readonly synthetic: number;
  readonly syntheticVideoKbps: number;
  readonly syntheticReceive: SyntheticReceive;
  readonly durationS: number;
  readonly churnPerMinute: number;
  readonly toggleCamera: boolean;
  readonly screenShare: boolean;
  /** Loss and delay on each browser participant's media (network/ImpairedLink.ts). */
  readonly impairment?: Impairment;
  /** Participants at once (churners included) allowed against a host that is not loopback. */
  readonly maxLoad: number;
  readonly iOwnThisDeployment: boolean;
  /** Longest time a receiver may get a sender's frames without decrypting any. */
  readonly undecryptableBoundMs: number;
  readonly joinTimeoutMs: number;
  /** How long to wait for everyone to decrypt everyone before measuring anyway. */
  readonly settleTimeoutMs?: number;
  /** Extra init scripts per page (tests only: a page that misbehaves on purpose). */
  readonly initScripts?: readonly string[];
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export const DEFAULTS = {
  browsers: 3,
  firefox: 0,
  synthetic: 0,
  syntheticVideoKbps: SYNTHETIC_DEFAULTS.videoKbps,
  syntheticReceive: 'audio' as SyntheticReceive,
  durationS: 30,
  churnPerMinute: 0,
  maxLoad: 4,
  undecryptableBoundMs: 5000,
  joinTimeoutMs: 60_000,
  settleTimeoutMs: 30_000,
} as const;

/** Refused before anything starts: bad options or too much load for someone else's server. */
export class CallTestRefused extends Error {
  override readonly name = 'CallTestRefused';
}

export function concurrentLoad(o: CallTestOptions): number {
  return o.browsers + o.firefox + o.synthetic + (o.churnPerMinute > 0 ? 1 : 0);
}

/** Longest wait for the synthetic members to admit a synthetic newcomer before the next joins. */
const SYNTHETIC_JOIN_SETTLE_MS = 10_000;

/** Most synthetic participants one run starts (each is a socket, two transports, an MLS leaf). */
export const MAX_SYNTHETIC = 100;

export function checkOptions(o: CallTestOptions): void {
  const stable = o.browsers + o.firefox + o.synthetic;
  if (stable < 2) throw new CallTestRefused('a call test needs at least 2 participants');
  if (o.synthetic > MAX_SYNTHETIC)
    throw new CallTestRefused(`at most ${MAX_SYNTHETIC} synthetic participants`);
  if (!(o.syntheticVideoKbps === 0 || (o.syntheticVideoKbps >= 10 && o.syntheticVideoKbps <= 5000)))
    throw new CallTestRefused('--synthetic-video-kbps is 0 (no video) or between 10 and 5000');
  if (concurrentLoad(o) - o.synthetic > IDENTITIES.length)
    throw new CallTestRefused(
      `at most ${IDENTITIES.length} browser participants at once (each needs its own colour and tone)`,
    );
  if (!(o.durationS >= 5)) throw new CallTestRefused('--duration must be at least 5 s');
  const { lossPercent, delayMs } = o.impairment ?? NO_IMPAIRMENT;
  if (!(Number.isInteger(lossPercent) && lossPercent >= 0 && lossPercent <= MAX_LOSS_PERCENT))
    throw new CallTestRefused(`--loss is a whole percentage from 0 to ${MAX_LOSS_PERCENT}`);
  if (!(Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= MAX_DELAY_MS))
    throw new CallTestRefused(`--delay is a whole number of ms from 0 to ${MAX_DELAY_MS}`);
  if (
    !isLoopbackHost(o.target.hostname) &&
    concurrentLoad(o) > o.maxLoad &&
    !o.iOwnThisDeployment
  ) {
    throw new CallTestRefused(
      `${concurrentLoad(o)} participants at once is more than --max-load ${o.maxLoad} for ` +
        `${o.target.hostname}, which is not this machine; give --i-own-this-deployment if it is yours`,
    );
  }
}

export async function runCallTest(o: CallTestOptions): Promise<CallTestReport> {
  checkOptions(o);
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  const progress = o.onProgress ?? (() => undefined);
  const aborted = (): boolean => o.signal?.aborted ?? false;
  const all: BrowserParticipant[] = [];
  const synthetic: SyntheticParticipant[] = [];
  const churners: BrowserParticipant[] = [];
  const toggles: { peer: BrowserParticipant; offAt: number; onAt: number }[] = [];
  const churn = { joins: 0, leaves: 0, failedJoins: 0 };
  const launch = async (
    name: string,
    kind: ParticipantKind,
    identity: MediaIdentity,
  ): Promise<BrowserParticipant> => {
    const p = await BrowserParticipant.launch(name, kind, identity, o.initScripts, o.impairment);
    all.push(p);
    if (aborted()) {
      await p.close();
      throw new Error('aborted');
    }
    return p;
  };
  // Ctrl-C: close every browser now; whatever the run was waiting for then fails, and it ends.
  const onAbort = (): void =>
    void Promise.all([...all.map((p) => p.close()), ...synthetic.map((p) => p.close())]);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const kinds: ParticipantKind[] = [
      ...Array<ParticipantKind>(o.browsers).fill('chromium'),
      ...Array<ParticipantKind>(o.firefox).fill('firefox'),
    ];
    const stable: BrowserParticipant[] = [];
    for (const [i, kind] of kinds.entries()) {
      if (aborted()) throw new Error('aborted');
      const id = IDENTITIES[i]!;
      stable.push(await launch(`p${i + 1}-${id.colour}`, kind, id));
    }
    let link: string;
    let createdRoom = false;
    if (o.target.kind === 'invite') {
      link = o.target.link;
    } else if (stable.length > 0) {
      // The deployment's own home page makes the room, as a person would.
      link = await newRoomLink(stable[0]!.driver, o.target.origin);
      createdRoom = true;
    } else {
      // No browser to open the home page: make the room as the page would (web/util/route.ts).
      link = inviteLink(o.target.origin, createRoom());
      createdRoom = true;
    }
    progress(`room ${redactLink(link)}`);
    for (const p of stable) {
      if (aborted()) throw new Error('aborted');
      const ok = await p.join(link, o.joinTimeoutMs);
      progress(
        ok ? `${p.name} joined in ${p.joinMs} ms` : `${p.name} did not join: ${p.joinError}`,
      );
    }
    const room = new URL(link);
    const route = parseRoute(room.pathname, room.hash);
    if (o.synthetic > 0 && route.name !== 'room')
      throw new CallTestRefused(
        'the invite link has no room secret a synthetic participant can use',
      );
    for (let i = 0; i < o.synthetic && route.name === 'room'; i++) {
      if (aborted()) throw new Error('aborted');
      const p = new SyntheticParticipant({
        name: `s${i + 1}`,
        origin: o.target.origin,
        roomId: route.roomId,
        roomSecret: route.secret,
        audioKbps: SYNTHETIC_DEFAULTS.audioKbps,
        videoKbps: o.syntheticVideoKbps,
        videoFps: SYNTHETIC_DEFAULTS.videoFps,
        receive: o.syntheticReceive,
      });
      synthetic.push(p);
      const ok = await p.join(o.joinTimeoutMs);
      progress(
        ok ? `${p.name} joined in ${p.joinMs} ms` : `${p.name} did not join: ${p.joinError}`,
      );
      // One join at a time, as people come in: the next starts once the synthetic members have
      // admitted this one, so a run does not fire a burst of commits at members still busy.
      // The pages keep being read meanwhile, so their first frames are timed when they come.
      await Promise.all(stable.map((b) => b.sample().catch(() => null)));
      const settleBy = Date.now() + SYNTHETIC_JOIN_SETTLE_MS;
      while (ok && Date.now() < settleBy && !aborted()) {
        const others = synthetic.filter((q) => q !== p && q.peerId !== null);
        if (others.every((q) => q.admitted.has(p.peerId!)) && p.admitted.size > others.length)
          break;
        await sleep(100);
      }
    }
    const joined = stable.filter((p) => p.peerId !== null);
    const joinedSynthetic = synthetic.filter((p) => p.peerId !== null);
    const everyone = [...joined, ...joinedSynthetic];
    // Until everyone decrypts everyone (or the join timeout): time to first frame, then measure.
    const settleDeadline = Date.now() + (o.settleTimeoutMs ?? DEFAULTS.settleTimeoutMs);
    while (Date.now() < settleDeadline && !aborted()) {
      const ds = await Promise.all(joined.map((p) => p.sample()));
      const ready =
        ds.every(
          (d) =>
            d !== null &&
            d.phase === 'in-call' &&
            everyone.every(
              (other) =>
                other.peerId === d.selfPeerId ||
                d.senders.some(
                  (s) => s.peerId === other.peerId && s.inRoster && s.framesDecrypted > 0,
                ),
            ),
        ) &&
        joinedSynthetic.every((p) =>
          everyone.every(
            (other) =>
              other === p ||
              (p.admitted.has(other.peerId!) &&
                (p.options.receive === 'none' || p.decryptedFrom(other.peerId!) > 0)),
          ),
        );
      if (ready) break;
      await sleep(250);
    }
    await Promise.all(joined.map((p) => p.startMeasuring()));
    for (const p of joinedSynthetic) p.windowStart = p.snapshot();
    const measureStart = Date.now();
    const measureEnd = measureStart + o.durationS * 1000;
    const churnEvery = o.churnPerMinute > 0 ? 120_000 / o.churnPerMinute : Infinity;
    let nextChurn = measureStart + Math.min(churnEvery, 3000);
    let churnTask: Promise<void> | null = null;
    const toggler = o.toggleCamera ? joined[0] : undefined;
    let toggleState: 'before' | 'off' | 'done' = 'before';
    let tick = 0;
    // A share that does not start (the click fails, the browser refuses) fails the SCREEN check.
    const sharer = o.screenShare ? (joined[0] ?? null) : null;
    if (sharer) await sharer.toggle('screen').catch(() => undefined);
    while (Date.now() < measureEnd && !aborted()) {
      const now = Date.now();
      await Promise.all(joined.map((p) => p.sample().catch(() => null)));
      for (const p of joinedSynthetic) p.sample();
      await Promise.all(joined.map((p) => p.sampleMedia().catch(() => null)));
      if (++tick % 5 === 0)
        await Promise.all(joined.map((p) => p.sampleWebrtc().catch(() => null)));
      if (toggler && toggleState === 'before' && now >= measureStart + o.durationS * 333) {
        await toggler.toggle('camera');
        toggles.push({ peer: toggler, offAt: Date.now(), onAt: Infinity });
        toggleState = 'off';
      } else if (toggler && toggleState === 'off' && now >= measureStart + o.durationS * 500) {
        await toggler.toggle('camera');
        toggles[toggles.length - 1]!.onAt = Date.now();
        toggleState = 'done';
      }
      if (o.churnPerMinute > 0 && churnTask === null && now >= nextChurn) {
        nextChurn = now + churnEvery;
        const id = IDENTITIES[kinds.length]!;
        churnTask = (async () => {
          const c = await launch(
            `churn${churn.joins + churn.failedJoins + 1}-${id.colour}`,
            'chromium',
            id,
          );
          churners.push(c);
          if (await c.join(link, o.joinTimeoutMs)) churn.joins++;
          else churn.failedJoins++;
          await sleep(Math.min(churnEvery / 2, 8000));
          await c.close();
          if (c.peerId !== null) churn.leaves++;
        })()
          .catch(() => void churn.failedJoins++)
          .finally(() => (churnTask = null));
      }
      progress(
        progressLine(
          joined,
          joinedSynthetic,
          stable.length + synthetic.length,
          now - measureStart,
          o.durationS,
        ),
      );
      await sleep(1000);
    }
    await churnTask;
    if (aborted()) throw new Error('aborted');
    const measuredMs = Date.now() - measureStart;
    await Promise.all(joined.map((p) => p.endMeasuring()));
    for (const p of joinedSynthetic) p.windowEnd = p.snapshot();
    // The last churner's leave changes the roster: give codes and keys a moment to settle.
    if (churn.joins > 0) await sleep(3000);
    const perception = await finalPerception(joined, toggles, sharer);
    await Promise.all(joined.map((p) => p.sample().catch(() => null)));
    for (const p of joinedSynthetic) p.sample();
    const record: RunRecord = {
      options: o,
      link,
      createdRoom,
      startedAt: started,
      measuredMs,
      stable,
      churners,
      synthetic,
      churn,
      perception,
      toggles,
      sharer,
    };
    const report = buildReport(record);
    const cpu = process.cpuUsage(cpuStart);
    return {
      ...report,
      tool: { wallMs: Date.now() - started, cpuMs: Math.round((cpu.user + cpu.system) / 1000) },
    };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all([...all.map((p) => p.close()), ...synthetic.map((p) => p.close())]);
  }
}

function progressLine(
  joined: readonly BrowserParticipant[],
  synthetic: readonly SyntheticParticipant[],
  total: number,
  elapsedMs: number,
  durationS: number,
): string {
  let failures = 0;
  let decrypting = 0;
  let pairs = 0;
  for (const p of joined) {
    for (const s of p.last?.senders ?? []) {
      failures += s.failures;
      pairs++;
      if (s.framesDecrypted > 0 && (s.msSinceLastFrame ?? Infinity) < 2000) decrypting++;
    }
  }
  for (const p of synthetic) {
    for (const [peerId, f] of p.from) {
      failures += f.failures;
      pairs++;
      const h = p.history.get(peerId) ?? [];
      const a = h[h.length - 3];
      const b = h[h.length - 1];
      if (a && b && b.framesDecrypted > a.framesDecrypted) decrypting++;
    }
  }
  const codes = new Set([
    ...joined.map((p) => p.last?.securityCode?.full ?? null),
    ...synthetic.map((p) => p.securityCode),
  ]).size;
  return (
    `[${String(Math.round(elapsedMs / 1000)).padStart(3)}/${durationS} s] joined ${joined.length + synthetic.length}/${total}` +
    ` · decrypting ${decrypting}/${pairs} streams · decrypt failures ${failures}` +
    ` · security codes ${codes === 1 ? 'agree' : `DIFFER (${codes})`}`
  );
}
