// Chromium ↔ Firefox: encrypted calls between Debian's Chromium (playwright-core) and Firefox ESR
// (puppeteer-core over WebDriver BiDi), through the real SFU with its test-only producer tap.
//
// Firefox's camera is a canvas painted like the y4m fixture (colour + frame-number stripe) and its
// microphone a Web Audio beep (support/firefoxMedia.ts), so the Chromium side checks the very
// picture and sound Firefox sent; in the three-way call Firefox uses its own generated camera,
// whose frames are checked to advance and decrypt. The tap shows Firefox's frames as the SFU
// forwarded them: VP8 tag / SFrame header / ciphertext, like Chromium's.
import { describe, expect, it } from 'vitest';
import { sleep } from '../../../calltest/browsers/driver.js';
import { createRoomLink, diagnostics, waitForCall } from '../../../calltest/app.js';
import { NO_SCRIPT_TRANSFORM_PREFS } from '../../../calltest/browsers/firefox.js';
import { SCREENSHOT_DIR } from '../harness/screenshots.js';
import { kidSlot } from '../../../shared/sframe/index.js';
import { shannonEntropy, sframeView, TAG_LENGTH, vp8Tag } from './support/ciphertext.js';
import { classifyColour } from '../../../calltest/media/mediaProbe.js';
import { joinAs, useMixedCast, type Participant } from './support/mixedCast.js';
import { seesAndHears, waitToSeeAndHear, type Sender } from '../../../calltest/media/perception.js';
import { useTappedCall, waitForTappedMedia } from './support/participants.js';
import { tappedStream } from './support/rtpFrames.js';
import { decodeVp8InPage } from './support/vp8Decode.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const call = useTappedCall();
const cast = useMixedCast(call);

function asSender(p: Participant): Sender {
  if (p.colour === null) throw new Error(`${p.name} has no known picture`);
  return { name: p.name, colour: p.colour, peerId: p.peerId };
}

async function shoot(p: Participant, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await p.driver.screenshot(file);
  return file;
}

describe('Chromium and Firefox in one encrypted call', () => {
  let alice: Participant;
  let frida: Participant;

  it('two-way: each sees the other’s advancing picture, hears the beeps, one security code', async () => {
    alice = await cast.chromium('Alice Chromewell', 'red');
    frida = await cast.firefox('Frida Foxley', { colour: 'blue' });
    const link = await createRoomLink(alice.person!.page, call.sfu.server.url);
    await joinAs(alice, link);
    await joinAs(frida, link);
    const [a, f] = await Promise.all([waitForCall(alice.driver, 1), waitForCall(frida.driver, 1)]);
    expect(f.transformMode).toBe('script');
    expect(a.securityCode).not.toBeNull();
    expect(f.securityCode).toEqual(a.securityCode);
    const [atAlice, atFrida] = await Promise.all([
      waitToSeeAndHear(alice.driver, [asSender(frida)]),
      waitToSeeAndHear(frida.driver, [asSender(alice)]),
    ]);
    console.log(
      `browsers: ${alice.person!.browser.version()} (Chromium) and ${await (cast.firefoxVersion(frida) ?? Promise.resolve('?'))}\n` +
        `Alice (Chromium) perceives ${JSON.stringify(atAlice)}\nFrida (Firefox) perceives ${JSON.stringify(atFrida)}\n` +
        `screenshots: ${await shoot(alice, 'firefox-two-way-at-chromium')} ${await shoot(frida, 'firefox-two-way-at-firefox')}`,
    );
    expect(seesAndHears(atAlice[0]!, 'blue'), 'Alice sees and hears Frida').toBe(true);
    expect(seesAndHears(atFrida[0]!, 'red'), 'Frida sees and hears Alice').toBe(true);
    // Around the join either side may drop a few frames as UNKNOWN_KID: the newcomer (Frida) gets
    // frames of Alice's sealed with the key Alice ratcheted away from when Frida arrived (frames
    // from before a join stay unreadable to a newcomer), and a frame that waited 3 s for a key
    // that came later is dropped too. The Chromium call tests see the same and hold the same
    // line: such drops are UNKNOWN_KID only, and none are added once both decrypt each other. A
    // wrong key, tag or layout between the two browsers would show up as other reasons, or as
    // drops that keep growing.
    const failures = async (): Promise<{
      alice: Record<string, number>;
      frida: Record<string, number>;
    }> => ({
      alice: (await diagnostics(alice.driver)).senders[0]!.failuresByReason,
      frida: (await diagnostics(frida.driver)).senders[0]!.failuresByReason,
    });
    await sleep(3500); // frames waiting for a key are dropped after 3 s (FramePipe KEY_WAIT_MS)
    const settled = await failures();
    await sleep(3000);
    const later = await failures();
    console.log(
      `undecryptable frames by reason once joined: ${JSON.stringify(settled)}, 3 s later ${JSON.stringify(later)}`,
    );
    expect(later, 'no new undecryptable frames in a steady call').toEqual(settled);
    for (const side of [later.alice, later.frida])
      expect(Object.keys(side).filter((r) => r !== 'UNKNOWN_KID')).toEqual([]);
  });

  it('tap: Firefox’s frames reach the SFU as SFrame ciphertext (VP8 tag in clear, Opus whole) that does not decode', async () => {
    await waitForTappedMedia(call.sfu, [frida as never]);
    const mine = call.sfu.producers().filter((p) => p.peerId === frida.peerId);
    // Opus without RED: the router offers no audio/red, so a redundancy wrapper never hides the
    // SFrame header (and Firefox's RED would break decryption).
    expect(mine.map((p) => `${p.source}:${p.mimeType.toLowerCase()}`).sort()).toEqual([
      'camera:video/vp8',
      'microphone:audio/opus',
    ]);
    const sealed: Uint8Array[] = [];
    const kids = new Set<number>();
    const rows: string[] = [];
    for (const s of mine.map(tappedStream)) {
      expect(s.frames.length, `${s.source} frames`).toBeGreaterThanOrEqual(10);
      let keyFrames = 0;
      for (const f of s.frames) {
        const v = sframeView(f.data, s.media); // throws unless an SFrame header follows
        expect(v.sealed.length).toBeGreaterThan(TAG_LENGTH);
        kids.add(v.kid);
        if (s.media === 'video') {
          const tag = vp8Tag(f.data);
          expect(v.clear.length).toBe(tag.keyFrame ? 10 : 3);
          if (tag.keyFrame) {
            keyFrames++;
            expect(tag.startCode).toBe(true);
          }
        }
        sealed.push(v.sealed);
      }
      rows.push(`${s.source}: ${s.frames.length} frames, ${keyFrames} key`);
    }
    expect(new Set([...kids].map(kidSlot)).size).toBe(1);
    const e = shannonEntropy(sealed);
    console.log(
      `Frida's (Firefox) frames at the SFU: ${rows.join('; ')}; KIDs ${[...kids].join(',')}; ` +
        `entropy after the SFrame headers ${e.bits.toFixed(4)} bits/byte over ${e.bytes} B`,
    );
    expect(e.bits).toBeGreaterThanOrEqual(7.9);
    // The forwarded VP8 bytes, from Frida's first key frame on, do not decode to her picture.
    const cam = tappedStream(mine.find((p) => p.source === 'camera')!);
    const start = cam.frames.findIndex((f) => vp8Tag(f.data).keyFrame);
    const run = cam.frames.slice(start, start + 30);
    const decoded = await decodeVp8InPage(
      alice.person!.page,
      run.map((f) => f.data),
      run.map((f) => vp8Tag(f.data).keyFrame),
    );
    const colours = decoded.pictures.map((p) =>
      p.frame === null ? null : classifyColour(p.colour),
    );
    console.log(
      `forwarded bytes decoded as VP8: ${decoded.pictures.length} pictures, error ${decoded.error}`,
    );
    expect(colours.filter((c) => c === 'blue')).toEqual([]);
  });

  it('key frame on request: Firefox encodes one of the layer the SFU names, through its transform (its setParameters has no keyFrame option)', async () => {
    const peer = [...call.sfu.server.sfu.registry.rooms.values()]
      .map((r) => r.peers.get(frida.peerId!))
      .find((x) => x !== undefined)!;
    const camera = [...peer.producers.values()].find((x) => x.kind === 'video')!;
    // Layer 0: the one the SFU names when a higher layer stops, and one Firefox always sends.
    const layer = 0;
    const rid = camera.rtpParameters.encodings?.[layer]?.rid;
    const ssrc = (await camera.getStats()).find((s) => s.rid === rid)?.ssrc;
    expect(ssrc, `an inbound stream for ${rid}`).toBeDefined();
    const keyFrames: number[] = []; // when the SFU received a key frame of that layer
    camera.on('trace', (t) => {
      const rtp = (t.info as { rtpPacket?: { ssrc?: number } }).rtpPacket;
      if (t.type === 'keyframe' && rtp?.ssrc === ssrc) keyFrames.push(Date.now());
    });
    await camera.enableTraceEvent(['keyframe']);
    try {
      // A quiet stretch first (no key frame of that layer for 3 s; early in a call receivers'
      // layer switches ask for some), so the key frame that follows is the one we asked for.
      let quietSince = Date.now();
      for (let tries = 0; tries < 10; tries++) {
        await sleep(3000);
        if (keyFrames.every((t) => t < quietSince)) break;
        quietSince = Date.now();
      }
      const asked = Date.now();
      expect(
        keyFrames.filter((t) => t >= asked - 3000),
        'a quiet stretch before asking',
      ).toEqual([]);
      peer.notify('keyFrameNeeded', { producerId: camera.id, spatialLayer: layer });
      await expect
        .poll(() => keyFrames.filter((t) => t >= asked).length, { timeout: 5000 })
        .toBeGreaterThan(0);
      console.log(
        `keyFrameNeeded for layer ${layer} (${rid}): Firefox's key frame reached the SFU ` +
          `${keyFrames.find((t) => t >= asked)! - asked} ms later; none in the 3 s before`,
      );
    } finally {
      await camera.enableTraceEvent([]);
    }
  });

  it('refusal: a Firefox with the script transform switched off by pref cannot join, and sends nothing', async () => {
    const fenna = await cast.firefox('Fenna', { prefs: NO_SCRIPT_TRANSFORM_PREFS });
    const link = await createRoomLink(alice.person!.page, call.sfu.server.url);
    await fenna.driver.goto(link);
    await fenna.driver.fill('[data-test=display-name]', fenna.name);
    expect(
      await fenna.driver.evaluate(() => ({
        script: 'RTCRtpScriptTransform' in window,
        streams: 'createEncodedStreams' in RTCRtpSender.prototype,
        mode: window.__blindcall?.transformMode ?? null,
      })),
    ).toEqual({ script: false, streams: false, mode: null });
    expect(await fenna.driver.alerts()).toContain('no-encoded-transforms');
    expect(await fenna.driver.isDisabled('[data-test=join]')).toBe(true);
    await sleep(3000); // time in which a join, had it started, would have produced
    console.log(`refusal screen: ${await shoot(fenna, 'firefox-no-script-transform')}`);
    const known = new Set([alice.peerId, frida.peerId]);
    expect(call.sfu.producers().filter((p) => !known.has(p.peerId))).toEqual([]);
  });
});
