/**
 * `window.__blindcall`: a small, read-only diagnostic surface for automated browser tests and for
 * people debugging a call from the console. It exposes states, peer ids, key *ids* and counters,
 * and the security code (which is shown on screen anyway). It carries NO key material, display
 * names, chat text or media.
 */
import type { CallEngine } from './CallEngine.js';
import type { CallEvent } from './CallModel.js';
import type { TransformMode } from '../e2ee/support.js';
import { sourceView, type SourceView } from './mediaView.js';
import type { MediaSource } from '../../shared/protocol/index.js';

export interface SenderDiagnostics {
  readonly peerId: string;
  readonly inRoster: boolean;
  readonly verified: boolean;
  /** The sender's identity fingerprint from the MLS roster, once in it. */
  readonly fingerprint?: string | null;
  readonly kid: number | null;
  /** Epoch ms of the first frame decrypted under `kid`, or null (absent from older clients). */
  readonly kidSince?: number | null;
  readonly framesDecrypted: number;
  readonly failures: number;
  readonly failuresByReason: Readonly<Record<string, number>>;
  /** Milliseconds since the last decrypted frame, or null if none yet. */
  readonly msSinceLastFrame: number | null;
  readonly sources: readonly string[];
  /** Each source as shown (mediaView.ts): on/off, on whose word, withheld by the server. */
  readonly media?: Readonly<Record<MediaSource, SourceView>>;
}

export interface FeedDiagnostics {
  readonly peerId: string;
  readonly source: string;
  readonly kind: string;
  readonly framesDecoded: number;
  readonly keyFramesDecoded: number;
  readonly frameWidth: number;
  readonly frameHeight: number;
  readonly totalAudioEnergy: number;
  readonly bytesReceived: number;
}

export interface BlindcallDiagnostics {
  readonly transformMode: TransformMode | null;
  readonly phase: string;
  readonly selfPeerId: string | null;
  readonly localKid: number | null;
  /** The code people compare: the MLS room code of the current epoch (shared/mls/roomCode.ts). */
  readonly securityCode: { readonly glance: string; readonly full: string } | null;
  /** The same room code, whole (100 bits). */
  readonly roomCode?: string | null;
  /** This device's own identity fingerprint in the call (MLS leaf), once it is in the group. */
  readonly selfFingerprint?: string | null;
  readonly local: {
    readonly kid: number | null;
    /** Epoch ms of the first frame encrypted under `kid`, or null (absent from older clients). */
    readonly kidSince?: number | null;
    readonly framesEncrypted: number;
    readonly dropped: number;
  };
  readonly senders: readonly SenderDiagnostics[];
  readonly warnings: number;
  /** Recent phase changes, peer joins/leaves (server notifications) and local key changes. */
  readonly events: readonly CallEvent[];
  /** Inbound RTP counters per remote feed (decoded frames, audio energy). */
  mediaStats(): Promise<FeedDiagnostics[]>;
}

declare global {
  interface Window {
    __blindcall?: BlindcallDiagnostics;
  }
}

export function installDebugSurface(
  getEngine: () => CallEngine | null,
  transformMode: TransformMode | null,
): void {
  const surface: BlindcallDiagnostics = {
    transformMode,
    get phase() {
      return getEngine()?.model.phase ?? 'idle';
    },
    get selfPeerId() {
      return getEngine()?.model.selfPeerId ?? null;
    },
    get localKid() {
      return getEngine()?.model.localKid ?? null;
    },
    get securityCode() {
      const code = getEngine()?.model.roomCode;
      return code ? { glance: code.glance, full: code.full } : null;
    },
    get roomCode() {
      return getEngine()?.model.roomCode?.full ?? null;
    },
    get selfFingerprint() {
      return getEngine()?.model.selfFingerprint ?? null;
    },
    get local() {
      const e2ee = getEngine()?.model.local.e2ee;
      return {
        kid: e2ee?.kid ?? null,
        kidSince: e2ee?.kidSince ?? null,
        framesEncrypted: e2ee?.frames ?? 0,
        dropped: e2ee?.failures ?? 0,
      };
    },
    get senders() {
      const model = getEngine()?.model;
      if (!model) return [];
      const now = performance.timeOrigin + performance.now();
      return [...model.participants.values()].map((p) => ({
        peerId: p.peerId,
        inRoster: p.roster !== null,
        verified: p.roster?.verified ?? false,
        fingerprint: p.roster?.fingerprint ?? null,
        kid: p.e2ee.kid,
        kidSince: p.e2ee.kidSince,
        framesDecrypted: p.e2ee.frames,
        failures: p.e2ee.failures,
        failuresByReason: { ...p.e2ee.byReason },
        msSinceLastFrame: p.e2ee.lastFrameAt === null ? null : Math.round(now - p.e2ee.lastFrameAt),
        sources: Object.keys(p.feeds),
        media: {
          microphone: sourceView(p, 'microphone'),
          camera: sourceView(p, 'camera'),
          screen: sourceView(p, 'screen'),
        },
      }));
    },
    get warnings() {
      return getEngine()?.model.warnings ?? 0;
    },
    get events() {
      return [...(getEngine()?.model.events ?? [])];
    },
    async mediaStats() {
      const attempt = getEngine()?.currentAttempt;
      if (!attempt) return [];
      const out: FeedDiagnostics[] = [];
      for (const feed of attempt.subscriber.all()) {
        const report = await attempt.subscriber.getStats(feed.consumerId);
        let row = {
          framesDecoded: 0,
          keyFramesDecoded: 0,
          frameWidth: 0,
          frameHeight: 0,
          totalAudioEnergy: 0,
          bytesReceived: 0,
        };
        report?.forEach((s: Record<string, unknown>) => {
          if (s.type !== 'inbound-rtp') return;
          row = {
            framesDecoded: num(s.framesDecoded),
            keyFramesDecoded: num(s.keyFramesDecoded),
            frameWidth: num(s.frameWidth),
            frameHeight: num(s.frameHeight),
            totalAudioEnergy: num(s.totalAudioEnergy),
            bytesReceived: num(s.bytesReceived),
          };
        });
        out.push({ peerId: feed.peerId, source: feed.source, kind: feed.kind, ...row });
      }
      return out;
    },
  };
  Object.defineProperty(window, '__blindcall', {
    value: Object.freeze(surface),
    configurable: true,
  });
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
