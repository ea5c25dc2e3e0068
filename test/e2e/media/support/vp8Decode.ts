/**
 * Decodes a run of VP8 frames with the browser's own decoder (WebCodecs), the way a receiver
 * would without E2EE, and reads each picture back with the y4m fixture's `readFrame`. Used to
 * show that the bytes the SFU forwarded are not a VP8 picture, while the same bytes decrypted
 * by a participant are the sender's picture.
 */
import type { Page } from 'playwright-core';
import type { Rgb } from '../../../../calltest/media/y4m.js';
import { BLOCK, FRAME_BITS } from '../../../../calltest/media/y4m.js';
import { CAMERA } from '../../../../calltest/media/fakeMedia.js';
import { toBase64 } from './ciphertext.js';

export interface DecodedPicture {
  readonly frame: number | null;
  readonly colour: Rgb | null;
  readonly width: number;
  readonly height: number;
}

export interface DecodeResult {
  readonly pictures: readonly DecodedPicture[];
  /** The decoder's error, if it gave up (it then decodes nothing more). */
  readonly error: string | null;
}

/** `frames` start with a key frame; `keyFrames[i]` says which are key frames. */
export async function decodeVp8InPage(
  page: Page,
  frames: readonly Uint8Array[],
  keyFrames: readonly boolean[],
): Promise<DecodeResult> {
  return page.evaluate(
    async ({ frames, keyFrames, bits, blockFraction }) => {
      type ReadFrame = (
        rgba: Uint8ClampedArray,
        w: number,
        h: number,
        bits: number,
        blockFraction: number,
      ) => { frame: number; colour: Rgb } | null;
      const read = (window as typeof window & { __bcReadFrame?: ReadFrame }).__bcReadFrame;
      if (!read) throw new Error('readFrame not installed (media probe script missing)');
      const canvas = new OffscreenCanvas(16, 16);
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      const pictures: DecodedPicture[] = [];
      let error: string | null = null;
      const decoder = new VideoDecoder({
        output: (vf) => {
          canvas.width = vf.displayWidth;
          canvas.height = vf.displayHeight;
          g.drawImage(vf, 0, 0);
          const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
          const r = read(px, canvas.width, canvas.height, bits, blockFraction);
          pictures.push({
            frame: r?.frame ?? null,
            colour: r?.colour ?? null,
            width: vf.displayWidth,
            height: vf.displayHeight,
          });
          vf.close();
        },
        error: (e) => {
          error = `${e.name}: ${e.message}`;
        },
      });
      decoder.configure({ codec: 'vp8' });
      for (const [i, b64] of frames.entries()) {
        if (decoder.state === 'closed') break;
        const bin = atob(b64);
        const data = new Uint8Array(bin.length);
        for (let j = 0; j < bin.length; j++) data[j] = bin.charCodeAt(j);
        try {
          decoder.decode(
            new EncodedVideoChunk({
              type: keyFrames[i] ? 'key' : 'delta',
              timestamp: i * 66_666,
              data,
            }),
          );
        } catch (e) {
          error ??= String(e);
          break;
        }
      }
      try {
        if (decoder.state !== 'closed') await decoder.flush();
      } catch (e) {
        error ??= String(e);
      }
      if (decoder.state !== 'closed') decoder.close();
      return { pictures, error };
    },
    {
      frames: frames.map(toBase64),
      keyFrames: [...keyFrames],
      bits: FRAME_BITS,
      blockFraction: BLOCK / CAMERA.width,
    },
  );
}
