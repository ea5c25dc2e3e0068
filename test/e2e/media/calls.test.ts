// Calls of two and three in real Chromium with generated fake cameras (one colour per sender,
// frame number in a stripe) and the fake microphone's beep: every receiver sees every other
// sender's own picture, moving forward, and hears their beeps.
//
// Then, on the same call, the blind SFU: the test-only ProducerTap recorded every RTP packet the
// SFU forwarded. Each reassembled frame is the codec's clear prefix (VP8 tag; nothing for Opus),
// an SFrame header, and bytes with ~8 bits of entropy per byte. Bob's page decrypts Alice's
// forwarded frames with the keys Bob was given (support/shadowDecryptor.ts) into VP8 that the
// browser's decoder shows as Alice's red picture, while the forwarded bytes themselves do not
// decode; Opus plaintext has a steady TOC byte where the forwarded bytes are uniform. Names
// typed into the pages and the room secret appear in no relayed byte (RTP or signalling) and no
// server log.
import { describe, expect, it } from 'vitest';
import { createRoomLink, waitForCall } from '../../../calltest/app.js';
import { kidSlot } from '../../../shared/sframe/index.js';
import {
  containsBytes,
  opusToc,
  sframeView,
  shannonEntropy,
  TAG_LENGTH,
  vp8Tag,
} from './support/ciphertext.js';
import { classifyColour } from '../../../calltest/media/mediaProbe.js';
import { seesAndHears, waitToSeeAndHear } from '../../../calltest/media/perception.js';
import { join, useTappedCall, waitForTappedMedia, type Person } from './support/participants.js';
import { tappedStream, type TappedStream } from './support/rtpFrames.js';
import { decryptInPage, shadowDecryptorScript } from './support/shadowDecryptor.js';
import { decodeVp8InPage } from './support/vp8Decode.js';

const call = useTappedCall();
const cast = call.cast;

async function expectEveryoneSeesAndHearsEveryone(people: readonly Person[]): Promise<void> {
  const seen = await Promise.all(
    people.map((receiver) =>
      waitToSeeAndHear(
        receiver.page,
        people.filter((p) => p !== receiver),
      ),
    ),
  );
  for (const [i, receiver] of people.entries()) {
    const others = people.filter((p) => p !== receiver);
    console.log(`${receiver.name} perceives: ${JSON.stringify(seen[i])}`);
    for (const [j, p] of seen[i]!.entries()) {
      expect(p, `${receiver.name} sees and hears ${others[j]!.name}`).toMatchObject({
        colour: others[j]!.colour,
      });
      expect(seesAndHears(p, others[j]!.colour), `${receiver.name} ← ${others[j]!.name}`).toBe(
        true,
      );
    }
  }
}

describe('calls with fake cameras and microphones', () => {
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let link: string;

  it('two people: each sees the other’s picture (colour, advancing frame numbers) and hears the beeps', async () => {
    alice = await cast.person('Alice Redfern', 'red', { initScripts: [shadowDecryptorScript()] });
    bob = await cast.person('Bob Greenhalgh', 'green', { initScripts: [shadowDecryptorScript()] });
    link = await createRoomLink(alice.page, call.sfu.server.url);
    await join(alice, link);
    await join(bob, link);
    await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);
    await expectEveryoneSeesAndHearsEveryone([alice, bob]);
  });

  it('three people: everyone sees and hears both others', async () => {
    carol = await cast.person('Carol Blaumann', 'blue', { initScripts: [shadowDecryptorScript()] });
    await join(carol, link);
    await Promise.all([alice, bob, carol].map((p) => waitForCall(p.page, 2)));
    await expectEveryoneSeesAndHearsEveryone([alice, bob, carol]);
  });

  it('the SFU forwarded only SFrame ciphertext, which the receivers decrypt into the right pictures', async () => {
    const people = [alice, bob, carol];
    await waitForTappedMedia(call.sfu, people);
    const streams = call.sfu
      .producers()
      .filter((p) => people.some((x) => x.peerId === p.peerId))
      .map(tappedStream);
    const nameOf = (s: TappedStream): string => people.find((p) => p.peerId === s.peerId)!.name;
    for (const person of people) {
      expect(
        streams
          .filter((s) => s.peerId === person.peerId)
          .map((s) => s.source)
          .sort(),
      ).toEqual(['camera', 'microphone']);
    }

    const sealed: Record<'audio' | 'video', Uint8Array[]> = { audio: [], video: [] };
    const nonces = new Set<string>();
    const rows: string[] = [];
    for (const s of streams) {
      expect(s.frames.length, `${nameOf(s)} ${s.source} frames`).toBeGreaterThanOrEqual(10);
      const lastCtr = new Map<number, number>();
      let keyFrames = 0;
      for (const f of s.frames) {
        // Throws unless an SFrame header (minimal encoding, RFC 9605 §4.3) follows the prefix.
        const v = sframeView(f.data, s.media);
        expect(v.sealed.length).toBeGreaterThan(TAG_LENGTH);
        // One counter per sender key across all its tracks: a (KID, CTR) pair, and so an AES-GCM
        // nonce, is never used twice. Audio is one stream, so its counter only goes up; video
        // layers are encrypted side by side, so a layer switch may step back a little.
        const pair = `${s.peerId}/${v.kid}/${v.ctr}`;
        expect(nonces.has(pair), `nonce reuse ${pair}`).toBe(false);
        nonces.add(pair);
        if (s.media === 'audio') expect(v.ctr).toBeGreaterThan(lastCtr.get(v.kid) ?? -1);
        lastCtr.set(v.kid, v.ctr);
        if (s.media === 'video') {
          const tag = vp8Tag(f.data);
          // The clear prefix is exactly the VP8 tag (+ start code and size for key frames).
          expect(v.clear.length).toBe(tag.keyFrame ? 10 : 3);
          if (tag.keyFrame) {
            keyFrames++;
            expect(tag.startCode).toBe(true);
            // Simulcast layers are 160/320/640 wide, and Chrome scales a layer down further
            // when the CPU is short (2 shared cores): any width up to the source's is a picture.
            expect(tag.width).toBeGreaterThan(0);
            expect(tag.width).toBeLessThanOrEqual(640);
          }
        }
        sealed[s.media].push(v.sealed);
      }
      // Every KID this sender used names the same sender slot (only the generation moves).
      expect(new Set([...lastCtr.keys()].map(kidSlot)).size).toBe(1);
      const d = people.find((p) => p.peerId === s.peerId)!;
      rows.push(
        `${nameOf(s).padEnd(16)} ${s.source.padEnd(10)} frames ${String(s.frames.length).padStart(5)}  key frames ${String(keyFrames).padStart(3)}  KIDs ${[...lastCtr.keys()].join(',')}  (${d.colour})`,
      );
    }
    const all = shannonEntropy([...sealed.audio, ...sealed.video]);
    const audio = shannonEntropy(sealed.audio);
    const video = shannonEntropy(sealed.video);
    console.log(
      [
        'what the SFU forwarded (ProducerTap):',
        ...rows,
        `entropy of everything after the SFrame headers: ${all.bits.toFixed(4)} bits/byte over ${all.bytes} B` +
          ` (audio ${audio.bits.toFixed(4)} over ${audio.bytes} B, video ${video.bits.toFixed(4)} over ${video.bytes} B)`,
      ].join('\n'),
    );
    expect(all.bytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(all.bits).toBeGreaterThanOrEqual(7.9);
    for (const part of [audio, video])
      if (part.bytes >= 64 * 1024) expect(part.bits).toBeGreaterThanOrEqual(7.9);

    // Positive control, in Bob's page with the keys Bob was given: Alice's forwarded frames
    // decrypt, and the plaintext is a VP8 picture of Alice (red, frame numbers advancing)…
    const aliceCam = streams.find((s) => s.peerId === alice.peerId && s.source === 'camera')!;
    const opened = await decryptInPage(
      bob.page,
      aliceCam.frames.map((f) => f.data),
      alice.peerId!,
      'video',
    );
    const isKey = (i: number): boolean => vp8Tag(aliceCam.frames[i]!.data).keyFrame;
    // The last key frame Bob can open, and the decryptable run that follows it.
    let start = -1;
    for (let i = aliceCam.frames.length - 1; i >= 0; i--) {
      if (opened.decrypted[i] && isKey(i)) {
        start = i;
        break;
      }
    }
    expect(start, 'a key frame of Alice that Bob can decrypt').toBeGreaterThanOrEqual(0);
    let end = start;
    while (end + 1 < aliceCam.frames.length && opened.decrypted[end + 1] && end - start < 40) end++;
    const run = aliceCam.frames.slice(start, end + 1).map((f) => f.data);
    const plain = opened.decrypted.slice(start, end + 1) as Uint8Array[];
    const keys = run.map((_, i) => isKey(start + i));
    for (const [i, p] of plain.entries()) {
      // Plaintext = forwarded frame minus SFrame header and tag; the clear prefix is the same.
      const v = sframeView(run[i]!, 'video');
      expect(p.length).toBe(run[i]!.length - v.headerLength - TAG_LENGTH);
      expect(p.subarray(0, v.clear.length)).toEqual(v.clear);
    }
    const decodedPlain = await decodeVp8InPage(bob.page, plain, keys);
    const plainColours = decodedPlain.pictures.map((p) =>
      p.frame === null ? null : classifyColour(p.colour),
    );
    // …while the very bytes the SFU forwarded do not decode to a picture of anyone.
    const decodedSealed = await decodeVp8InPage(bob.page, run, keys);
    const sealedColours = decodedSealed.pictures.map((p) =>
      p.frame === null ? null : classifyColour(p.colour),
    );
    console.log(
      `Alice's camera, frames ${start}..${end} (${keys.filter(Boolean).length} key): ` +
        `decrypted by Bob → ${decodedPlain.pictures.length} pictures ${JSON.stringify(countOf(plainColours))}, error ${decodedPlain.error}; ` +
        `as forwarded → ${decodedSealed.pictures.length} pictures ${JSON.stringify(countOf(sealedColours))}, error ${decodedSealed.error}`,
    );
    expect(decodedPlain.error).toBeNull();
    expect(decodedPlain.pictures.length).toBe(run.length);
    expect(plainColours.every((c) => c === 'red')).toBe(true);
    expect(new Set(decodedPlain.pictures.map((p) => p.frame)).size).toBeGreaterThan(1);
    expect(sealedColours.filter((c) => c !== null)).toEqual([]);

    // Opus: decrypted payloads start with a sane, steady TOC byte; in the forwarded bytes the
    // byte in that place (first after the SFrame header) is uniformly spread.
    const aliceMic = streams.find((s) => s.peerId === alice.peerId && s.source === 'microphone')!;
    const micFrames = aliceMic.frames.slice(-600); // enough for the statistics, quick to feed
    const micOpened = await decryptInPage(
      bob.page,
      micFrames.map((f) => f.data),
      alice.peerId!,
      'audio',
    );
    const plainTocs = micOpened.decrypted
      .filter((d): d is Uint8Array => d !== null)
      .map((d) => d[0]!);
    const sealedFirst = micFrames.map((f) => sframeView(f.data, 'audio').sealed[0]!);
    const tocConfigs = new Set(plainTocs.map((b) => opusToc(b).config));
    console.log(
      `Alice's microphone: ${micOpened.opened}/${micFrames.length} decrypted by Bob; TOC configs ${[...tocConfigs].join(',')}; ` +
        `distinct first ciphertext bytes ${new Set(sealedFirst).size} over ${sealedFirst.length} frames`,
    );
    expect(micOpened.opened).toBeGreaterThan(100);
    expect(tocConfigs.size).toBeLessThanOrEqual(3);
    expect(plainTocs.every((b) => !opusToc(b).stereo)).toBe(true); // we send mono
    expect(new Set(sealedFirst).size).toBeGreaterThanOrEqual(64);
  });

  it('display names and the room secret appear in no relayed RTP or signalling byte and no server log line', () => {
    const secret = link.slice(link.indexOf('#') + 1);
    const secretBytes = new Uint8Array(Buffer.from(secret, 'base64url'));
    const packets = call.sfu.producers().flatMap((p) => p.packets);
    const logText = call.sfu.logs.join('');
    const needles: [string, Uint8Array][] = [];
    for (const p of [alice, bob, carol]) {
      needles.push([`${p.name} (UTF-8)`, new TextEncoder().encode(p.name)]);
      needles.push([`${p.name} (UTF-16)`, new Uint8Array(Buffer.from(p.name, 'utf16le'))]);
      expect(logText).not.toContain(p.name);
      expect(logText).not.toContain(p.name.split(' ')[1]!);
    }
    needles.push(['room secret', secretBytes]);
    needles.push(['room secret (base64url)', new TextEncoder().encode(secret)]);
    // Signalling the SFU relayed to and from the pages (E2EE blobs, roster, chat): names travel
    // only inside E2EE messages, and the secret never leaves the browser.
    const frames = [alice, bob, carol].flatMap((p) => p.signalling);
    const frameBytes = frames.map((f) =>
      typeof f === 'string' ? new TextEncoder().encode(f) : new Uint8Array(f),
    );
    for (const [what, bytes] of needles) {
      expect(
        packets.some((pkt) => containsBytes(pkt, bytes)),
        `${what} in relayed RTP`,
      ).toBe(false);
      expect(
        frameBytes.some((f) => containsBytes(f, bytes)),
        `${what} in signalling`,
      ).toBe(false);
    }
    // The capture works: every page did exchange signalling frames.
    expect(frames.length).toBeGreaterThan(20);
    for (const form of [
      secret,
      Buffer.from(secretBytes).toString('base64'),
      Buffer.from(secretBytes).toString('hex'),
    ]) {
      expect(logText).not.toContain(form);
    }
    // Nothing in the logs looks like key material: no long base64/hex runs (ids are short).
    const longRuns = logText.match(/[A-Za-z0-9+/_=-]{40,}/g) ?? [];
    console.log(
      `${call.sfu.logs.length} server log lines, ${packets.length} relayed RTP packets and ${frames.length} signalling frames checked; long runs: ${JSON.stringify(longRuns.slice(0, 5))}`,
    );
    expect(call.sfu.logs.length).toBeGreaterThan(0);
    expect(longRuns).toEqual([]);
  });
});

function countOf<T>(xs: readonly T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
}
