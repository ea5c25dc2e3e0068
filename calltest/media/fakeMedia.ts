/**
 * Fake cameras for the media tests: one generated y4m per sender colour (in os.tmpdir(), never
 * committed), and one Chromium process per colour, because `--use-file-for-fake-video-capture`
 * applies to a whole browser process. The fake microphone is Chromium's own (a short beep twice a
 * second).
 */
import { existsSync, renameSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { SENDER_COLOURS, writeY4m } from './y4m.js';
import { launchBrowser } from '../browsers/chromium.js';

/** The colours of test/e2e/fixtures/y4m.ts SENDER_COLOURS. */
export type Colour = 'red' | 'green' | 'blue' | 'yellow' | 'magenta' | 'cyan';

export const CAMERA = { width: 640, height: 360, fps: 15, frames: 150 } as const;

/** Bytes of one y4m file: header line, then per frame "FRAME\n" and 4:2:0 planes. */
function expectedSize(header: string): number {
  const plane = CAMERA.width * CAMERA.height;
  return header.length + CAMERA.frames * (6 + plane + plane / 2);
}

const pending = new Map<Colour, Promise<string>>();

/** The y4m file for `colour`, written once per machine (atomically, so parallel runs are safe). */
export function cameraFile(colour: Colour): Promise<string> {
  let p = pending.get(colour);
  if (!p) {
    p = (async () => {
      const file = path.join(
        os.tmpdir(),
        `blindcall-e2e-${colour}-${CAMERA.width}x${CAMERA.height}-${CAMERA.fps}fps-${CAMERA.frames}.y4m`,
      );
      const header = `YUV4MPEG2 W${CAMERA.width} H${CAMERA.height} F${CAMERA.fps}:1 Ip A1:1 C420jpeg\n`;
      if (existsSync(file) && statSync(file).size === expectedSize(header)) return file;
      const tmp = `${file}.${process.pid}.tmp`;
      await writeY4m(tmp, { ...CAMERA, colour: SENDER_COLOURS[colour]! });
      renameSync(tmp, file);
      return file;
    })();
    pending.set(colour, p);
  }
  return p;
}

/** A Chromium whose fake camera shows `colour` with the frame-number stripe. */
export async function launchCamera(colour: Colour, args: readonly string[] = []): Promise<Browser> {
  const file = await cameraFile(colour);
  return launchBrowser({ args: [`--use-file-for-fake-video-capture=${file}`, ...args] });
}

/**
 * An init script that makes the page's first getUserMedia request for `kind` answer only after
 * `delayMs`, like a slow microphone or camera driver: with it, the device opens after Join was
 * clicked, once the call has already published what it had. Later requests are not delayed.
 */
export function slowDeviceScript(kind: 'audio' | 'video', delayMs: number): string {
  return `(() => {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  let first = true;
  md.getUserMedia = async (constraints) => {
    if (first && constraints && constraints[${JSON.stringify(kind)}]) {
      first = false;
      await new Promise((resolve) => setTimeout(resolve, ${delayMs}));
    }
    return original(constraints);
  };
})();`;
}
