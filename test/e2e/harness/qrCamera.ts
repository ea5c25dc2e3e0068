/**
 * A fake camera that films a QR code: a y4m file (grey-scale, in os.tmpdir(), never committed)
 * whose every frame shows the symbol `qrMatrix(text)` draws, centred on white, as a phone held up
 * to the camera would. For `--use-file-for-fake-video-capture`.
 */
import { createHash } from 'node:crypto';
import { writeFileSync, renameSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QR_QUIET_ZONE, qrMatrix } from '../../../web/identity/qrMatrix.js';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 15;
const FRAMES = 15;
const DARK = 16;
const LIGHT = 235;

export function qrCameraFile(text: string): string {
  const tag = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `blindcall-e2e-qr-${tag}-${WIDTH}x${HEIGHT}.y4m`);
  if (existsSync(file)) return file;
  const m = qrMatrix(text);
  const modules = m.length + 2 * QR_QUIET_ZONE;
  const cell = Math.floor((HEIGHT - 20) / modules);
  const x0 = Math.floor((WIDTH - modules * cell) / 2);
  const y0 = Math.floor((HEIGHT - modules * cell) / 2);
  const y = Buffer.alloc(WIDTH * HEIGHT, LIGHT);
  m.forEach((row, r) =>
    row.forEach((dark, c) => {
      if (!dark) return;
      for (let dy = 0; dy < cell; dy++) {
        const line = (y0 + (r + QR_QUIET_ZONE) * cell + dy) * WIDTH;
        const start = line + x0 + (c + QR_QUIET_ZONE) * cell;
        y.fill(DARK, start, start + cell);
      }
    }),
  );
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F${FPS}:1 Ip A1:1 C420jpeg\n`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([header, ...Array.from({ length: FRAMES }, () => frame)]));
  renameSync(tmp, file);
  return file;
}
