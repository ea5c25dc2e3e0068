/**
 * The report of one call test: what the JSON output holds, field by field. The JSON Schema in
 * report.schema.json describes the same shape for CI tools that read it (its test validates a
 * real report against it); change both together and bump REPORT_FORMAT when a field changes
 * meaning or goes away.
 */
import type { LinkCounters } from '../network/ImpairedLink.js';

export const REPORT_FORMAT = 'blindcall-calltest/2';

/** A browser, or a synthetic participant (calltest/synthetic: Node, werift, marked frames). */
export type ParticipantKind = 'chromium' | 'firefox' | 'synthetic';

/** Why a run failed: one stable code per kind of check. */
export type CheckId =
  | 'JOIN'
  | 'FIRST_FRAME'
  | 'PICTURE'
  | 'SOUND'
  | 'SECURITY_CODE'
  | 'E2EE_TRANSFORM'
  | 'UNDECRYPTABLE'
  | 'UNADMITTED'
  /** With `--screen-share`: every other browser shows the sharer's screen, frames moving. */
  | 'SCREEN'
  /** A pair with a synthetic end: frames of every stream decrypt, and their marks are right. */
  | 'FRAMES';

export interface CheckResult {
  readonly check: CheckId;
  readonly ok: boolean;
  /** The participant it is about (its name in the report), or null for the whole call. */
  readonly participant: string | null;
  readonly message: string;
}

export interface Kbps {
  readonly audio: number;
  readonly video: number;
}

export interface ReceivedFrom {
  /** The sender's name in the report. */
  readonly from: string;
  readonly peerId: string | null;
  readonly framesDecrypted: number;
  readonly decryptFailures: number;
  /** Longest stretch in which frames of this sender arrived and none decrypted, ms. */
  readonly undecryptableMs: number;
  /** Null when either end is synthetic: a synthetic sender sends no picture or tone. */
  readonly picture: {
    readonly expected: string;
    /** The colour most samples showed, or null (no picture, or not a sender's colour). */
    readonly seen: string | null;
    readonly distinctFrames: number;
    readonly ok: boolean;
  } | null;
  readonly sound: {
    readonly expectedHz: number;
    readonly heardHz: number | null;
    readonly beeps: number;
    readonly ok: boolean;
  } | null;
  /**
   * A pair with a synthetic end (null otherwise): frames decrypted over the run's last 5 s, per
   * source where the receiver counts them (a synthetic receiver does, a page counts per sender),
   * and at a synthetic receiver of a synthetic sender the marks checked after decryption
   * (source and order right, frames missing, latency).
   */
  readonly frames: {
    readonly recent: number;
    readonly audio: number | null;
    readonly video: number | null;
    readonly marks: {
      readonly marked: number;
      readonly bad: number;
      readonly missing: number;
      readonly meanLatencyMs: number | null;
    } | null;
    readonly ok: boolean;
  } | null;
  /**
   * With `--screen-share`, from the sharer to a browser receiver (null otherwise): frames of
   * the sharer's screen tile presented in the run's last 5 s.
   */
  readonly screen: { readonly frames: number; readonly ok: boolean } | null;
  readonly freezes: {
    readonly over500ms: number;
    readonly over1s: number;
    readonly longestMs: number;
  };
  /** Picture heights received (each one a simulcast layer the SFU sent this receiver). */
  readonly heights: readonly number[];
  /** The layers those are, 0 = lowest, from the camera's 1/4, 1/2 and full resolution. */
  readonly layers: readonly number[];
}

export interface ParticipantReport {
  readonly name: string;
  readonly kind: ParticipantKind;
  /** The picture and tone that identify a browser participant; null for a synthetic one. */
  readonly colour: string | null;
  readonly toneHz: number | null;
  /** The peer id the SFU gave it (visible to the server anyway), or null if it never joined. */
  readonly peerId: string | null;
  readonly joined: boolean;
  /** From the click on Join to the page's own peer id, ms. */
  readonly joinMs: number | null;
  /** From the click on Join to the first frame decrypted from anyone, ms. */
  readonly firstFrameMs: number | null;
  readonly securityCode: string | null;
  readonly transformMode: string | null;
  /** Every sending and receiving track had an encoded transform attached. */
  readonly transformsAttached: boolean;
  readonly framesEncrypted: number;
  readonly reconnects: number;
  readonly decryptFailures: { readonly total: number; readonly byReason: Record<string, number> };
  readonly received: readonly ReceivedFrom[];
  readonly stats: {
    readonly inKbps: Kbps;
    readonly outKbps: Kbps;
    /** Inbound packets lost / (received + lost) over the measured window. */
    readonly lossFraction: number;
    readonly jitterMs: number;
    /** Round-trip time to the SFU (ICE), ms; null where the browser gave none. */
    readonly rttMs: number | null;
    /** Heights of the video layers it was sending at the end. */
    readonly sendingHeights: readonly number[];
  };
  /**
   * Its impaired link (`--loss`, `--delay`): media packets relayed and dropped on purpose, up
   * (towards the SFU) and down; null where its media was not impaired.
   */
  readonly impairedLink: LinkCounters | null;
  readonly errors: readonly string[];
}

export interface UnknownPeer {
  readonly peerId: string;
  /** Names of the participants whose page saw it. */
  readonly seenBy: readonly string[];
  /** The key protocol admitted it on at least one page (a stranger with the link). */
  readonly admitted: boolean;
}

export interface CallTestReport {
  readonly format: typeof REPORT_FORMAT;
  readonly result: 'pass' | 'fail';
  /** The failing checks' messages, first the most telling. */
  readonly reasons: readonly string[];
  readonly target: {
    readonly origin: string;
    /** The room's link without its secret. */
    readonly room: string;
    readonly createdRoom: boolean;
  };
  readonly options: {
    readonly browsers: number;
    readonly firefox: number;
    readonly synthetic: number;
    readonly syntheticVideoKbps: number;
    readonly syntheticReceive: 'all' | 'audio' | 'none';
    readonly durationS: number;
    readonly churnPerMinute: number;
    readonly toggleCamera: boolean;
    readonly screenShare: boolean;
    /** Media packets dropped on each browser participant's link, each direction, percent. */
    readonly lossPercent: number;
    /** Delay added to each browser participant's media packets, each direction, ms. */
    readonly delayMs: number;
  };
  readonly startedAt: string;
  readonly endedAt: string;
  /** Length of the measured window (all joined until the end), ms. */
  readonly measuredMs: number;
  readonly checks: readonly CheckResult[];
  readonly participants: readonly ParticipantReport[];
  readonly unknownPeers: readonly UnknownPeer[];
  readonly churn: { readonly joins: number; readonly leaves: number; readonly failedJoins: number };
  readonly totals: {
    readonly participants: number;
    readonly joined: number;
    readonly maxJoinMs: number | null;
    readonly maxFirstFrameMs: number | null;
    readonly streamsExpected: number;
    readonly streamsOk: number;
    readonly freezesOver500ms: number;
    readonly freezesOver1s: number;
    readonly decryptFailures: number;
    readonly reconnects: number;
    readonly distinctSecurityCodes: number;
  };
  /** The tool's own cost: wall time and CPU of this process (browsers not included). */
  readonly tool: { readonly wallMs: number; readonly cpuMs: number };
}
