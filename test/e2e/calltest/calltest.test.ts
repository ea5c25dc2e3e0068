// blindcall-calltest against a real SFU started here: it passes against a working one (run as
// the command, with its JSON report validated against the schema and its JUnit file read), and
// fails, naming the right check and participant, against SFUs broken on purpose by the test-only
// faults (sfu/testing/Faults.ts): one sender's video dropped, key relay to one peer dropped, a
// signalling-only ghost, a client served with encoded transforms that do nothing, and a shared
// screen withheld.
//
// Two cores run about four video pages: the broken cases use two browsers, the passing one three.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, runCallTest } from '../../../calltest/engine/CallTest.js';
import { parseTarget } from '../../../calltest/link.js';
import type { CallTestReport, CheckResult } from '../../../calltest/report/Report.js';
import { ensureWebBuild, ROOT, startSfu, type TestSfu } from '../harness/servers.js';
import { validateReport } from '../../unit/calltest/schema.js';

/** A run joins, settles, measures and re-checks for up to ~2 minutes even when it fails. */
const RUN_TIMEOUT_MS = 420_000;

let sfu: TestSfu | null = null;
let child: ChildProcess | null = null;
afterEach(async () => {
  // A test that timed out must not leave the command (and its browsers) running: SIGINT is its
  // Ctrl-C, which closes them.
  if (child && child.exitCode === null) child.kill('SIGINT');
  child = null;
  await sfu?.close();
  sfu = null;
});

async function brokenSfu(faults: string): Promise<TestSfu> {
  ensureWebBuild();
  sfu = await startSfu({ env: { BLINDCALL_TEST_HOOKS: '1', BLINDCALL_TEST_FAULTS: faults } });
  return sfu;
}

function run(url: string, browsers = 2, screenShare = false): Promise<CallTestReport> {
  return runCallTest({
    ...DEFAULTS,
    target: parseTarget(url),
    browsers,
    durationS: 8,
    toggleCamera: false,
    screenShare,
    iOwnThisDeployment: false,
    settleTimeoutMs: 20_000,
    onProgress: (line) => console.log(line),
  });
}

const failing = (r: CallTestReport, check: CheckResult['check']): CheckResult[] =>
  r.checks.filter((c) => c.check === check && !c.ok);
const passing = (r: CallTestReport, check: CheckResult['check']): CheckResult[] =>
  r.checks.filter((c) => c.check === check && c.ok);

function show(r: CallTestReport): void {
  console.log(`result ${r.result}; reasons:\n  ${r.reasons.join('\n  ')}`);
  for (const p of r.participants)
    if (p.errors.length > 0) console.log(`${p.name} errors: ${p.errors.join(' | ')}`);
  expect(validateReport(r), 'the report validates against its schema').toEqual([]);
}

describe('blindcall-calltest', { timeout: RUN_TIMEOUT_MS }, () => {
  it('passes against a working SFU with 3 browsers, as the command, with JSON and JUnit reports', async () => {
    ensureWebBuild();
    sfu = await startSfu();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'calltest-'));
    const json = path.join(dir, 'report.json');
    const junit = path.join(dir, 'report.xml');
    const cmd = spawn(
      path.join(ROOT, 'scripts/node'),
      [
        path.join(ROOT, 'node_modules/.bin/tsx'),
        'calltest/main.ts',
        sfu.url,
        '--duration',
        '10',
        '--json',
        json,
        '--junit',
        junit,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = cmd;
    let out = '';
    cmd.stdout.on('data', (b: Buffer) => (out += b.toString()));
    cmd.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => cmd.on('close', resolve));
    console.log(out);
    const report = JSON.parse(readFileSync(json, 'utf8')) as CallTestReport;
    show(report);
    expect(report.result).toBe('pass');
    expect(code).toBe(0);
    expect(report.participants).toHaveLength(3);
    expect(report.totals.streamsOk).toBe(12); // 3 × 2 pictures and 3 × 2 tones
    expect(report.totals.distinctSecurityCodes).toBe(1);
    expect(report.participants.every((p) => p.transformsAttached)).toBe(true);
    // The room secret is in the link the pages got, and nowhere in what the tool printed or wrote.
    // Either link form: `…/r/<id>#…` or `…/#r/<id>/…`.
    expect(report.target.room).toMatch(/#(r\/[A-Za-z0-9_-]+\/)?…$/);
    expect(out + readFileSync(json, 'utf8')).not.toMatch(
      /#(r\/[A-Za-z0-9_-]{1,64}\/)?[A-Za-z0-9_-]{43}/,
    );
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`tests="${report.checks.length}" failures="0"`);
  });

  it('passes with 2 browsers and 10 synthetic participants: one code, every pair decrypting, marks right', async () => {
    ensureWebBuild();
    sfu = await startSfu();
    const r = await runCallTest({
      ...DEFAULTS,
      target: parseTarget(sfu.url),
      browsers: 2,
      synthetic: 10,
      durationS: 10,
      toggleCamera: false,
      screenShare: false,
      iOwnThisDeployment: false,
      onProgress: (line) => console.log(line),
    });
    show(r);
    console.log(`tool: ${r.tool.wallMs} ms wall, ${r.tool.cpuMs} ms CPU for 12 participants`);
    expect(r.result).toBe('pass');
    expect(r.totals.joined).toBe(12);
    expect(r.totals.distinctSecurityCodes).toBe(1);
    const synthetic = r.participants.filter((p) => p.kind === 'synthetic');
    expect(synthetic).toHaveLength(10);
    // Every pair with a synthetic end was checked on its frames: 2·10 + 10·11 pairs.
    expect(passing(r, 'FRAMES')).toHaveLength(2 * 10 + 10 * 11);
    for (const p of synthetic) {
      expect(p.framesEncrypted).toBeGreaterThan(0);
      for (const from of p.received.filter((x) => x.from.startsWith('s'))) {
        expect(from.frames?.marks?.marked, `${p.name} ← ${from.from}`).toBeGreaterThan(0);
        expect(from.frames?.marks?.bad).toBe(0);
      }
    }
  });

  it('impairs browser media as asked (--loss, --delay): the links drop and delay, the receivers see it', async () => {
    ensureWebBuild();
    sfu = await startSfu();
    const delayMs = 60;
    const r = await runCallTest({
      ...DEFAULTS,
      target: parseTarget(sfu.url),
      browsers: 2,
      durationS: 10,
      toggleCamera: false,
      screenShare: false,
      iOwnThisDeployment: false,
      impairment: { lossPercent: 10, delayMs },
      onProgress: (line) => console.log(line),
    });
    show(r);
    // A poor link is not a failure: pictures and tones still get through.
    expect(r.result).toBe('pass');
    expect(r.options).toMatchObject({ lossPercent: 10, delayMs });
    for (const p of r.participants) {
      const link = p.impairedLink!;
      console.log(`${p.name}: link ${JSON.stringify(link)}, rtt ${p.stats.rttMs} ms`);
      // All of its media went through the relay, and about a tenth was dropped each way.
      for (const way of [link.up, link.down]) {
        expect(way.relayed).toBeGreaterThan(500);
        expect(way.dropped / (way.relayed + way.dropped)).toBeGreaterThan(0.05);
        expect(way.dropped / (way.relayed + way.dropped)).toBeLessThan(0.15);
      }
      // ICE's round trip to the SFU crosses the link twice; loopback alone is about 1 ms.
      expect(p.stats.rttMs).toBeGreaterThanOrEqual(2 * delayMs * 0.9);
      expect(p.stats.lossFraction).toBeGreaterThan(0.02);
    }
  });

  it("fails on PICTURE for exactly the dropped sender's video", async () => {
    const server = await brokenSfu('drop-video:2');
    const r = await run(server.url);
    show(r);
    expect(r.result).toBe('fail');
    const [p1, p2] = r.participants;
    const pictures = failing(r, 'PICTURE');
    expect(pictures.map((c) => c.message)).toEqual([
      expect.stringContaining(`${p1!.name} ← ${p2!.name}`),
    ]);
    // The other direction still arrives: the fault is that one video. (Sound is not asserted
    // here: in a cold CI rehearsal the pitch check once heard p1's 500 Hz beeps as 3445 Hz, a
    // flaw of the tone detection to fix, not of this fault; the passing run checks sound.)
    expect(passing(r, 'PICTURE').map((c) => c.participant)).toEqual([p2!.name]);
  });

  it('checks a shared screen (--screen-share): the other browser shows it moving', async () => {
    ensureWebBuild();
    sfu = await startSfu();
    const r = await run(sfu.url, 2, true);
    show(r);
    expect(r.result).toBe('pass');
    const [p1, p2] = r.participants;
    // The first browser shares; only its screen is checked, by the other one.
    expect(passing(r, 'SCREEN').map((c) => c.message)).toEqual([
      expect.stringContaining(`${p2!.name} ← ${p1!.name}: shared screen`),
    ]);
    expect(p2!.received.find((x) => x.from === p1!.name)?.screen?.frames).toBeGreaterThanOrEqual(5);
  });

  it("fails on SCREEN, and only on it, when the server withholds the sharer's screen", async () => {
    const server = await brokenSfu('drop-screen:1');
    const r = await run(server.url, 2, true);
    show(r);
    expect(r.result).toBe('fail');
    const [p1, p2] = r.participants;
    expect(failing(r, 'SCREEN').map((c) => c.message)).toEqual([
      expect.stringContaining(`${p2!.name} ← ${p1!.name}`),
    ]);
    // The sharer's camera still arrives: the fault is the screen alone.
    expect(failing(r, 'PICTURE')).toEqual([]);
  });

  it('fails on UNADMITTED and FIRST_FRAME when the key relay drops messages to one peer', async () => {
    // The first peer is cut off from the key protocol: on MLS the second joins by external commit
    // (requests and their answers, which still flow), and the first never gets that commit, so it
    // never admits the second and neither can decrypt the other's epoch.
    const server = await brokenSfu('relay-drop:1');
    const r = await run(server.url);
    show(r);
    expect(r.result).toBe('fail');
    const p2 = r.participants[1]!;
    expect(failing(r, 'UNADMITTED').length).toBeGreaterThan(0);
    expect(failing(r, 'UNADMITTED').every((c) => c.message.includes(p2.name))).toBe(true);
    expect(failing(r, 'FIRST_FRAME').map((c) => c.participant)).toContain(p2.name);
  });

  it('names a signalling-only ghost as unadmitted', async () => {
    const server = await brokenSfu('ghost');
    const r = await run(server.url);
    show(r);
    expect(r.result).toBe('fail');
    const ghost = r.unknownPeers.find((u) => u.peerId.startsWith('ghost'));
    expect(ghost).toMatchObject({ admitted: false });
    expect(ghost!.seenBy).toHaveLength(2);
    expect(r.reasons[0]).toContain(`UNADMITTED: peer ${ghost!.peerId}`);
  });

  it('fails on E2EE_TRANSFORM for a client whose encoded transforms do nothing', async () => {
    const server = await brokenSfu('plain-client');
    const r = await run(server.url);
    show(r);
    expect(r.result).toBe('fail');
    expect(failing(r, 'E2EE_TRANSFORM').map((c) => c.participant)).toEqual(
      r.participants.map((p) => p.name),
    );
    expect(r.reasons[0]).toMatch(/^E2EE_TRANSFORM: .*not end-to-end encrypted/);
  });
});
