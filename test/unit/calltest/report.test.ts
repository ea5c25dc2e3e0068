// The call-test tool's pure parts: targets and redaction of the room secret, the tone files, the
// checks built from a run's record (with participants made up here, no browsers), and the JSON
// Schema of the report, which must accept real-shaped reports and refuse broken ones.
import { describe, expect, it } from 'vitest';
import type { Diagnostics } from '../../../calltest/app.js';
import type { BrowserParticipant } from '../../../calltest/engine/BrowserParticipant.js';
import { DEFAULTS } from '../../../calltest/engine/CallTest.js';
import {
  buildReport,
  layerOf,
  undecryptableMs,
  type RunRecord,
} from '../../../calltest/engine/checks.js';
import { IDENTITIES, TONE, toneMatches, toneWav } from '../../../calltest/media/identity.js';
import { beepPitch } from '../../../calltest/media/mediaProbe.js';
import { isLoopbackHost, parseTarget, redactLink, TargetError } from '../../../calltest/link.js';
import { renderJunit, renderTable } from '../../../calltest/report/render.js';
import type { CallTestReport } from '../../../calltest/report/Report.js';
import { validateReport } from './schema.js';

const SECRET = 'A'.repeat(20) + 'b'.repeat(23);

describe('targets', () => {
  it('tells a base URL from invite links of both forms', () => {
    expect(parseTarget('https://call.example.org')).toMatchObject({
      kind: 'base',
      hostname: 'call.example.org',
    });
    expect(parseTarget(`https://x.org/r/room_1#${SECRET}`)).toMatchObject({
      kind: 'invite',
      roomId: 'room_1',
    });
    expect(parseTarget(`https://x.org/#r/room-2/${SECRET}`)).toMatchObject({
      kind: 'invite',
      roomId: 'room-2',
    });
    expect(() => parseTarget('https://x.org/r/room_1#short')).toThrow(TargetError);
    expect(() => parseTarget('https://x.org/elsewhere')).toThrow(TargetError);
    expect(() => parseTarget('ftp://x.org/')).toThrow(TargetError);
  });

  it('never shows the secret', () => {
    expect(redactLink(`https://x.org/r/room_1#${SECRET}`)).toBe('https://x.org/r/room_1#…');
    expect(redactLink(`https://x.org/#r/room-2/${SECRET}`)).toBe('https://x.org/#r/room-2/…');
    expect(() => parseTarget(`not a url #${SECRET}`)).toThrow(/^(?!.*A{20}b)/);
  });

  it('knows loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.8.0.1', '::1'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['10.0.0.1', 'example.org', '128.0.0.1'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
    ]);
  });
});

describe('media identities', () => {
  it('writes a WAV whose beeps have the pitch asked for', () => {
    const wav = toneWav(700);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(TONE.sampleRate);
    // Zero crossings over the first beep.
    const beep = (TONE.sampleRate * TONE.beepMs) / 1000;
    let crossings = 0;
    for (let i = 1; i < beep; i++) {
      if (wav.readInt16LE(44 + (i - 1) * 2) < 0 !== wav.readInt16LE(44 + i * 2) < 0) crossings++;
    }
    expect(Math.abs((crossings / 2) * (1000 / TONE.beepMs) - 700)).toBeLessThan(15);
    // Silence between beeps.
    expect(wav.readInt16LE(44 + (beep + 10) * 2)).toBe(0);
  });

  it('tells every identity’s tone and colour apart', () => {
    expect(new Set(IDENTITIES.map((i) => i.colour)).size).toBe(IDENTITIES.length);
    for (const a of IDENTITIES)
      for (const b of IDENTITIES) expect(toneMatches(a.toneHz, b.toneHz)).toBe(a === b);
    expect(toneMatches(null, 500)).toBe(false);
  });

  it('judges the pitch by the run of beeps since the window opened, not by the last one', () => {
    const audio = {
      peerId: 'p1',
      // One beep before the window (wrong pitch), four in it, the last one concealed.
      onsets: [1000, 2000, 2500, 3000, 3500],
      beepHz: [3445, 502, 498, 505, 274],
      lastBeepHz: 274,
    };
    expect(beepPitch(audio, 1500)).toBe(502);
    expect(toneMatches(beepPitch(audio, 1500), 500)).toBe(true);
    // No beep in the window: fall back to the last one heard.
    expect(beepPitch(audio, 9000)).toBe(274);
    // A beep whose pitch could not be read does not count.
    expect(beepPitch({ ...audio, beepHz: [null, null, 700, null, null] }, 0)).toBe(700);
  });
});

describe('checks', () => {
  it('measures the longest undecryptable stretch', () => {
    const h = (t: number, framesDecrypted: number, failures: number) => ({
      t,
      framesDecrypted,
      failures,
    });
    expect(undecryptableMs([h(0, 0, 0), h(1000, 0, 5), h(2000, 0, 9), h(3000, 4, 9)])).toBe(2000);
    expect(undecryptableMs([h(0, 1, 0), h(1000, 2, 0), h(2000, 3, 0)])).toBe(0);
    expect(undecryptableMs([h(0, 0, 0), h(1000, 0, 0)])).toBe(0);
  });

  it('maps picture heights to simulcast layers', () => {
    expect([90, 180, 360, 2, 720].map(layerOf)).toEqual([0, 1, 2, 0, 2]);
  });

  interface Fake {
    name: string;
    peerId: string;
    colour: number;
    senders: Diagnostics['senders'];
    code: string;
    seen?: [string, boolean][];
  }

  function participant(f: Fake): BrowserParticipant {
    const identity = IDENTITIES[f.colour]!;
    const webrtc = (bytes: number) => ({
      now: bytes / 10,
      connections: 2,
      inbound: {
        audio: { bytes, packets: bytes / 100, packetsLost: 0, jitter: 0.01, streams: 1 },
        video: {
          bytes: bytes * 10,
          packets: bytes / 10,
          packetsLost: bytes / 1000,
          jitter: 0.02,
          streams: 1,
        },
      },
      outbound: {
        audio: { bytes, packets: 0, packetsLost: 0, jitter: 0, streams: 1 },
        video: { bytes: bytes * 10, packets: 0, packetsLost: 0, jitter: 0, streams: 3 },
      },
      outboundHeights: [90, 180, 360],
      rtt: 0.012,
      senders: [{ kind: 'audio', transformed: true }],
      receivers: [{ kind: 'video', transformed: true }],
    });
    const last: Diagnostics = {
      transformMode: 'script',
      phase: 'in-call',
      selfPeerId: f.peerId,
      localKid: 1,
      securityCode: { glance: f.code.slice(0, 5), full: f.code },
      local: { kid: 1, framesEncrypted: 100, dropped: 0 },
      senders: f.senders,
      warnings: 0,
      events: [],
    };
    return {
      name: f.name,
      kind: 'chromium',
      identity,
      peerId: f.peerId,
      peerIds: new Set([f.peerId]),
      joinMs: 800,
      joinError: null,
      firstFrameMs: 1200,
      last,
      seenPeers: new Map(f.seen ?? []),
      history: new Map(),
      heights: new Map(),
      webrtcStart: webrtc(1000),
      webrtcEnd: webrtc(101_000),
      tracksSeen: 2,
      bareTracks: new Set(),
      errors: [],
      linkCounters: () =>
        f.name === 'p1-red'
          ? { up: { relayed: 900, dropped: 100 }, down: { relayed: 1800, dropped: 200 } }
          : null,
    } as unknown as BrowserParticipant;
  }

  const sender = (peerId: string, inRoster = true) => ({
    peerId,
    inRoster,
    verified: false,
    kid: 2,
    framesDecrypted: 300,
    failures: inRoster ? 0 : 12,
    failuresByReason: (inRoster ? {} : { UNKNOWN_KID: 12 }) as Record<string, number>,
    msSinceLastFrame: 10,
    sources: ['camera', 'microphone'],
  });

  function record(a: BrowserParticipant, b: BrowserParticipant, heard: boolean): RunRecord {
    const ok = (p: BrowserParticipant) => ({
      video: undefined,
      audio: undefined,
      picture: {
        expected: p.identity.colour,
        seen: heard ? p.identity.colour : null,
        distinctFrames: heard ? 40 : 0,
        ok: heard,
      },
      sound: {
        expectedHz: p.identity.toneHz,
        heardHz: heard ? p.identity.toneHz : null,
        beeps: heard ? 10 : 0,
        ok: heard,
      },
      screen: null,
    });
    return {
      options: {
        ...DEFAULTS,
        target: parseTarget('http://127.0.0.1:3000'),
        toggleCamera: false,
        screenShare: false,
        iOwnThisDeployment: false,
      },
      link: `http://127.0.0.1:3000/r/room#${SECRET}`,
      createdRoom: true,
      startedAt: Date.UTC(2026, 11, 1),
      measuredMs: 30_000,
      stable: [a, b],
      churners: [],
      synthetic: [],
      churn: { joins: 0, leaves: 0, failedJoins: 0 },
      perception: new Map([
        [a, new Map([[b.peerId!, ok(b)]])],
        [b, new Map([[a.peerId!, ok(a)]])],
      ]),
      toggles: [],
      sharer: null,
    };
  }

  const withTool = (r: Omit<CallTestReport, 'tool'>): CallTestReport => ({
    ...r,
    tool: { wallMs: 40_000, cpuMs: 3000 },
  });

  it('passes a good call, and its report validates against the schema', () => {
    const a = participant({
      name: 'p1-red',
      peerId: 'AAAA',
      colour: 0,
      senders: [sender('BBBB')],
      code: '1234',
    });
    const b = participant({
      name: 'p2-green',
      peerId: 'BBBB',
      colour: 1,
      senders: [sender('AAAA')],
      code: '1234',
    });
    const report = withTool(buildReport(record(a, b, true)));
    expect(report.reasons).toEqual([]);
    expect(report.result).toBe('pass');
    expect(report.target.room).toBe('http://127.0.0.1:3000/r/room#…');
    expect(report.participants[0]!.stats).toMatchObject({
      inKbps: { audio: 80, video: 800 },
      lossFraction: 0.009,
      rttMs: 12,
    });
    expect(report.participants[0]!.impairedLink).toEqual({
      up: { relayed: 900, dropped: 100 },
      down: { relayed: 1800, dropped: 200 },
    });
    expect(report.participants[1]!.impairedLink).toBeNull();
    expect(renderTable(report)).toContain(
      'impaired links: 1 · media packets relayed 2700, dropped 300 (10.0%)',
    );
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(JSON.stringify(report) + renderTable(report) + renderJunit(report)).not.toContain(
      SECRET,
    );
    expect(renderJunit(report)).toContain('failures="0"');
  });

  it('reports no negative loss when the cumulative packetsLost went down over the window', () => {
    // RTCP's cumulative loss falls when late or retransmitted packets arrive, and the sums fall
    // when a receiving stream ends mid-run: a loaded CI machine once gave lossFraction < 0.
    const mk = (peerId: string, other: string, colour: number) =>
      participant({ name: `p${colour}`, peerId, colour, senders: [sender(other)], code: '1234' });
    const a = mk('AAAA', 'BBBB', 0);
    const b = mk('BBBB', 'AAAA', 1);
    const end = structuredClone(a.webrtcEnd!);
    (end.inbound.video as { packetsLost: number }).packetsLost = 0;
    (end.inbound.audio as { packetsLost: number }).packetsLost = -5;
    Object.assign(a, { webrtcEnd: end });
    const report = withTool(buildReport(record(a, b, true)));
    expect(report.participants[0]!.stats.lossFraction).toBe(0);
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
  });

  it('fails on diverging codes, an unadmitted participant and a ghost, naming them', () => {
    const a = participant({
      name: 'p1-red',
      peerId: 'AAAA',
      colour: 0,
      senders: [sender('BBBB', false)],
      code: '1234',
      seen: [['ghostly', false]],
    });
    const b = participant({
      name: 'p2-green',
      peerId: 'BBBB',
      colour: 1,
      senders: [sender('AAAA')],
      code: '9999',
    });
    const report = withTool(buildReport(record(a, b, false)));
    expect(report.result).toBe('fail');
    expect(report.reasons[0]).toMatch(/^UNADMITTED: p1-red ← p2-green/);
    expect(report.reasons).toContainEqual(
      expect.stringMatching(/^UNADMITTED: peer ghostly .*never admitted/),
    );
    expect(report.reasons).toContainEqual(expect.stringMatching(/^SECURITY_CODE: .*2 different/));
    expect(report.reasons).toContainEqual(expect.stringMatching(/^PICTURE: p1-red ← p2-green/));
    expect(report.participants[0]!.decryptFailures).toEqual({
      total: 12,
      byReason: { UNKNOWN_KID: 12 },
    });
    expect(report.unknownPeers).toEqual([
      { peerId: 'ghostly', seenBy: ['p1-red'], admitted: false },
    ]);
    expect(renderJunit(report)).toMatch(/<failure type="UNADMITTED"/);
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
  });

  it('the schema refuses a report that is missing a field or carries a secret', () => {
    const a = participant({
      name: 'p1-red',
      peerId: 'AAAA',
      colour: 0,
      senders: [sender('BBBB')],
      code: '1',
    });
    const b = participant({
      name: 'p2-green',
      peerId: 'BBBB',
      colour: 1,
      senders: [sender('AAAA')],
      code: '1',
    });
    const good = JSON.parse(JSON.stringify(withTool(buildReport(record(a, b, true))))) as Record<
      string,
      unknown
    >;
    expect(validateReport({ ...good, totals: undefined })).not.toEqual([]);
    expect(
      validateReport({
        ...good,
        target: { ...(good.target as object), room: `http://x/r/room#${SECRET}` },
      }),
    ).not.toEqual([]);
    expect(validateReport({ ...good, result: 'maybe' })).not.toEqual([]);
  });
});
