// What the SFU learns from our audio, at the SFU's own tap: Opus packets have one size and keep
// flowing whether someone speaks or not (constant bitrate, no DTX), no audio-level header extension
// is negotiated or sent, and the active speaker still shows — computed in the listener's browser
// from the decrypted audio.
//
// The microphone is a synthesized voice (noise bursts shaped like syllables, four a second) whose
// loudness the test switches between speech and silence; the camera is Chromium's fake one.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader } from '../../../shared/sframe/header.js';
import { launchBrowser, openPage, type PageHandle } from '../../../calltest/browsers/chromium.js';
import {
  createRoomLink,
  diagnostics,
  joinCall,
  waitForDiagnostics,
} from '../../../calltest/app.js';
import { ensureWebBuild } from '../harness/servers.js';
import { parseRtp } from './support/rtpFrames.js';
import { startTappedSfu, type TappedSfu } from './support/participants.js';
import type { Browser } from 'playwright-core';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
const PHASE_MS = 4000;

/** Replaces the microphone with a voice the test turns on and off (`window.__voice(on)`). */
function syntheticVoice(): void {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  const ctx = new AudioContext({ sampleRate: 48000 });
  const noise = ctx.createBuffer(1, ctx.sampleRate * 2, ctx.sampleRate);
  const data = noise.getChannelData(0);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff; // seeded: the same voice every run
    const syllable = 0.5 + 0.5 * Math.sin((2 * Math.PI * 4 * i) / ctx.sampleRate);
    data[i] = (seed / 0x7fffffff - 0.5) * syllable * syllable;
  }
  const source = ctx.createBufferSource();
  source.buffer = noise;
  source.loop = true;
  const tone = ctx.createOscillator();
  tone.type = 'sawtooth';
  tone.frequency.value = 140;
  const toneGain = ctx.createGain();
  toneGain.gain.value = 0.15;
  const level = ctx.createGain();
  level.gain.value = 0;
  const out = ctx.createMediaStreamDestination();
  source.connect(level);
  tone.connect(toneGain).connect(level);
  level.connect(out);
  source.start();
  tone.start();
  (window as unknown as { __voice: (on: boolean) => void }).__voice = (on) => {
    void ctx.resume();
    level.gain.value = on ? 0.8 : 0;
  };
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const tracks: MediaStreamTrack[] = [];
    if (constraints?.video)
      tracks.push(...(await original({ video: constraints.video })).getTracks());
    if (constraints?.audio) tracks.push(out.stream.getAudioTracks()[0]!.clone());
    return new MediaStream(tracks);
  };
}

let browser: Browser;
let sfu: TappedSfu;
const handles: PageHandle[] = [];

beforeAll(async () => {
  ensureWebBuild();
  sfu = await startTappedSfu();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const h of handles) await h.close().catch(() => undefined);
  await browser?.close();
  await sfu?.close();
});

async function person(): Promise<Page> {
  const handle = await openPage(browser, { initScripts: [syntheticVoice] });
  handles.push(handle);
  handle.page.setDefaultTimeout(90_000);
  return handle.page;
}

const setVoice = (p: Page, on: boolean): Promise<void> =>
  p.evaluate((v) => (window as unknown as { __voice: (on: boolean) => void }).__voice(v), on);

/** Whether `listener` shows `speakerPeerId`'s tile as speaking. */
const showsSpeaking = (listener: Page, speakerPeerId: string): Promise<boolean> =>
  listener
    .locator(`bc-tile[data-peer="${speakerPeerId}"]`)
    .first()
    .evaluate((el) => el.hasAttribute('speaking'))
    .catch(() => false);

interface PhaseStats {
  readonly packets: number;
  readonly perSecond: number;
  /** Opus payload sizes (RTP payload minus the SFrame header), distinct → count. */
  readonly sizes: Map<number, number>;
  readonly payloadBytesPerSecond: number;
}

function phaseStats(
  packets: readonly Buffer[],
  ms: number,
  allowedExtIds: Set<number>,
): PhaseStats {
  const sizes = new Map<number, number>();
  let bytes = 0;
  for (const raw of packets) {
    const rtp = parseRtp(raw);
    if (!rtp || rtp.payload.length === 0) continue;
    // Every header extension element is a known one, and none is the audio level.
    for (const id of extensionIds(raw))
      expect(allowedExtIds.has(id), `extension id ${id}`).toBe(true);
    const header = decodeHeader(rtp.payload);
    const opus = rtp.payload.length - header.length;
    sizes.set(opus, (sizes.get(opus) ?? 0) + 1);
    bytes += rtp.payload.length;
  }
  return {
    packets: packets.length,
    perSecond: (packets.length * 1000) / ms,
    sizes,
    payloadBytesPerSecond: (bytes * 1000) / ms,
  };
}

/** IDs of the RFC 8285 one-byte header extension elements of an RTP packet. */
function extensionIds(packet: Uint8Array): number[] {
  if ((packet[0]! & 0x10) === 0) return [];
  const offset = 12 + 4 * (packet[0]! & 0x0f);
  const profile = (packet[offset]! << 8) | packet[offset + 1]!;
  const words = (packet[offset + 2]! << 8) | packet[offset + 3]!;
  if (profile !== 0xbede) return [-1]; // two-byte form: not expected from Chromium here
  const ids: number[] = [];
  for (let i = offset + 4; i < offset + 4 + 4 * words;) {
    const b = packet[i]!;
    if (b === 0) {
      i++;
      continue;
    }
    const id = b >> 4;
    if (id === 15) break;
    ids.push(id);
    i += 1 + (b & 0x0f) + 1;
  }
  return ids;
}

describe('audio the SFU cannot read anything from', () => {
  it(
    'sends constant-size Opus without audio levels, and the listener still sees who speaks',
    { timeout: 400_000 },
    async () => {
      const ada = await person();
      const bob = await person();
      const link = await createRoomLink(ada, sfu.server.url);
      await joinCall(ada, link, 'Ada');
      await joinCall(bob, link, 'Bob');
      await waitForDiagnostics(bob, (d) => d.senders.some((s) => s.framesDecrypted > 50), {
        what: 'Bob decrypting Ada',
        timeoutMs: 90_000,
      });
      const adaId = (await diagnostics(ada)).selfPeerId!;
      const mic = sfu.producers().find((p) => p.peerId === adaId && p.source === 'microphone');
      expect(mic, 'Ada’s microphone at the tap').toBeDefined();

      // No audio-level extension negotiated by the sender, none arriving at the SFU.
      expect(mic!.producerHeaderExtensions).not.toContain(AUDIO_LEVEL_URI);
      // The tap's own consumer offers every extension the router knows: a level would show up
      // under this id if the sender had sent one.
      const levelId = mic!.tapHeaderExtensions.find((e) => e.uri === AUDIO_LEVEL_URI)?.id ?? -2;
      const allowed = new Set(
        mic!.tapHeaderExtensions.filter((e) => e.uri !== AUDIO_LEVEL_URI).map((e) => e.id),
      );
      expect(allowed.has(levelId)).toBe(false);

      const record = async (on: boolean): Promise<PhaseStats> => {
        await setVoice(ada, on);
        await bob.waitForTimeout(1500); // let the encoder and the listener's detector settle
        const start = mic!.packets.length;
        const t0 = Date.now();
        await bob.waitForTimeout(PHASE_MS);
        return phaseStats(mic!.packets.slice(start), Date.now() - t0, allowed);
      };
      const speech = await record(true);
      await expect.poll(() => showsSpeaking(bob, adaId), { timeout: 15_000 }).toBe(true);
      const silence = await record(false);
      await expect.poll(() => showsSpeaking(bob, adaId), { timeout: 15_000 }).toBe(false);

      const row = (name: string, s: PhaseStats): string =>
        `| ${name.padEnd(7)} | ${String(s.packets).padStart(7)} | ${s.perSecond.toFixed(1).padStart(9)} | ${[
          ...s.sizes,
        ]
          .sort((a, b) => b[1] - a[1])
          .map(([size, n]) => `${size} B ×${n}`)
          .join(', ')
          .padEnd(28)} | ${((s.payloadBytesPerSecond * 8) / 1000).toFixed(1).padStart(12)} |`;
      console.log(
        [
          'Opus packets of one sender at the SFU tap (size = RTP payload − SFrame header):',
          '| phase   | packets | packets/s | Opus+tag sizes               | payload kbit/s |',
          '| ------- | ------: | --------: | ---------------------------- | -------------: |',
          row('speech', speech),
          row('silence', silence),
        ].join('\n'),
      );

      // Constant bitrate: one size, the same in speech and silence. No DTX: packets keep flowing.
      expect([...speech.sizes.keys()]).toHaveLength(1);
      expect([...silence.sizes.keys()]).toEqual([...speech.sizes.keys()]);
      expect(silence.packets).toBeGreaterThan(speech.packets * 0.8);
    },
  );
});
