/**
 * Who a fake participant is, as its receivers can tell from media alone: a camera colour (the
 * y4m picture, with its frame-number stripe) and a microphone tone (a beep twice a second at
 * the participant's own pitch). Chromium gets both as files (`--use-file-for-fake-*-capture`,
 * per browser process); Firefox paints and synthesises the same in the page (firefoxMedia.ts).
 *
 * Files go to os.tmpdir(), are written once per machine and atomically (parallel runs share
 * them), and are never committed.
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Colour } from './fakeMedia.js';

export interface MediaIdentity {
  readonly colour: Colour;
  /** Pitch of the participant's beep, Hz. */
  readonly toneHz: number;
}

/**
 * One identity per concurrent participant. Tones are 200 Hz apart, far more than the probe's
 * pitch resolution over one 100 ms beep (~10 Hz).
 */
export const IDENTITIES: readonly MediaIdentity[] = [
  { colour: 'red', toneHz: 500 },
  { colour: 'green', toneHz: 700 },
  { colour: 'blue', toneHz: 900 },
  { colour: 'yellow', toneHz: 1300 },
  { colour: 'magenta', toneHz: 1500 },
  { colour: 'cyan', toneHz: 1700 },
];

/**
 * A heard pitch belongs to `toneHz` within this many Hz: under half the tones' spacing, so it
 * names one sender only. On a starved machine the receiver's jitter buffer stretches and
 * conceals audio, and pitches were measured up to ~75 Hz off (775 Hz for a 700 Hz tone).
 */
export const TONE_TOLERANCE_HZ = 95;

export function toneMatches(heardHz: number | null, toneHz: number): boolean {
  return heardHz !== null && Math.abs(heardHz - toneHz) <= TONE_TOLERANCE_HZ;
}

export const TONE = {
  sampleRate: 48_000,
  /** Beep length and period, ms: like Chromium's own fake microphone, twice a second. */
  beepMs: 100,
  periodMs: 500,
  /** Length of the (looping) file: a whole number of periods, so the loop has no seam. */
  seconds: 4,
  amplitude: 0.5,
} as const;

/** A 16-bit mono PCM WAV of the beep at `hz` (RIFF header, RFC 2361 format tag 1). */
export function toneWav(hz: number): Buffer {
  const n = TONE.sampleRate * TONE.seconds;
  const data = Buffer.alloc(n * 2);
  const beep = (TONE.sampleRate * TONE.beepMs) / 1000;
  const period = (TONE.sampleRate * TONE.periodMs) / 1000;
  for (let i = 0; i < n; i++) {
    const inBeep = i % period < beep;
    const v = inBeep ? TONE.amplitude * Math.sin((2 * Math.PI * hz * i) / TONE.sampleRate) : 0;
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(TONE.sampleRate, 24);
  header.writeUInt32LE(TONE.sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** The WAV file for `hz`, written once per machine. */
export function toneFile(hz: number): string {
  const file = path.join(os.tmpdir(), `blindcall-calltest-tone-${hz}hz-${TONE.seconds}s.wav`);
  const size = 44 + TONE.sampleRate * TONE.seconds * 2;
  if (existsSync(file) && statSync(file).size === size) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, toneWav(hz));
  renameSync(tmp, file);
  return file;
}
