/**
 * Reads a QR code from a camera track (jsQR does the decoding): the frames go into a hidden
 * <video>, a few times a second one is drawn into a canvas and searched. Nothing leaves the page
 * and no frame is kept. Resolves with the first code's text for which `accept` returns true;
 * rejects with an AbortError when `signal` aborts.
 */
import jsQRModule from 'jsqr';

// jsqr is CommonJS with `exports.default`: the same function under Node and under Vite's interop.
const jsQR = jsQRModule.default;

const SCAN_INTERVAL_MS = 150;
/** Frames are searched at most this wide: enough for a phone-sized code, cheap on a laptop. */
const MAX_WIDTH = 640;

export async function scanQrCode(
  track: MediaStreamTrack,
  signal: AbortSignal,
  accept: (text: string) => boolean = () => true,
): Promise<string> {
  signal.throwIfAborted();
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) throw new Error('no 2D canvas');
  let timer: ReturnType<typeof setTimeout> | null = null;
  try {
    await video.play();
    return await new Promise<string>((resolve, reject) => {
      const stop = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', stop, { once: true });
      const look = (): void => {
        timer = null;
        if (signal.aborted) return;
        const found = searchFrame(video, canvas, g);
        if (found !== null && accept(found)) {
          signal.removeEventListener('abort', stop);
          resolve(found);
          return;
        }
        timer = setTimeout(look, SCAN_INTERVAL_MS);
      };
      look();
    });
  } finally {
    if (timer !== null) clearTimeout(timer);
    video.pause();
    video.srcObject = null;
  }
}

function searchFrame(
  video: HTMLVideoElement,
  canvas: HTMLCanvasElement,
  g: CanvasRenderingContext2D,
): string | null {
  const { videoWidth: w, videoHeight: h } = video;
  if (w === 0 || h === 0) return null;
  const scale = Math.min(1, MAX_WIDTH / w);
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  g.drawImage(video, 0, 0, canvas.width, canvas.height);
  const image = g.getImageData(0, 0, canvas.width, canvas.height);
  return (
    jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' })?.data ?? null
  );
}
