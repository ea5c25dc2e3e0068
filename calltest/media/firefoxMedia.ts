/**
 * A known picture and sound from Firefox. Firefox's own fake camera is a generated picture (no
 * y4m file), so to check what a Chromium receiver sees, an init script answers the page's
 * getUserMedia with a canvas `captureStream()` track painted like the y4m fixture (one sender
 * colour, the frame number in a stripe of black/white blocks) and a Web Audio beep twice a
 * second, like Chromium's fake microphone. The real (fake) devices are still opened first, so the
 * app's device path runs as usual; only the tracks it gets are ours.
 */
import { BLOCK, FRAME_BITS, SENDER_COLOURS } from './y4m.js';
import { CAMERA, type Colour } from './fakeMedia.js';
import { NAME_SHIM } from './mediaProbe.js';

interface PaintConfig {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly frames: number;
  readonly bits: number;
  readonly block: number;
  readonly rgb: string;
  readonly toneHz: number;
}

/** Runs in the page. */
function installKnownMedia(c: PaintConfig): void {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  let audioCtx: AudioContext | null = null;

  function canvasTrack(): MediaStreamTrack {
    const canvas = document.createElement('canvas');
    canvas.width = c.width;
    canvas.height = c.height;
    const g = canvas.getContext('2d')!;
    let n = 0;
    const paint = (): void => {
      const code = n % (1 << c.bits);
      g.fillStyle = c.rgb;
      g.fillRect(0, 0, c.width, c.height);
      g.fillStyle = 'rgb(128,128,128)';
      g.fillRect(0, 0, c.width, c.block);
      for (let bit = 0; bit < c.bits; bit++) {
        const on = (code >> (c.bits - 1 - bit)) & 1;
        g.fillStyle = on ? 'rgb(235,235,235)' : 'rgb(16,16,16)';
        g.fillRect(bit * c.block, 0, c.block, c.block);
      }
      n = (n + 1) % c.frames;
    };
    paint();
    setInterval(paint, 1000 / c.fps);
    return canvas.captureStream(c.fps).getVideoTracks()[0]!;
  }

  function beepTrack(): MediaStreamTrack {
    audioCtx ??= new AudioContext();
    const osc = audioCtx.createOscillator();
    osc.frequency.value = c.toneHz;
    const gain = audioCtx.createGain();
    gain.gain.value = 0;
    const out = audioCtx.createMediaStreamDestination();
    osc.connect(gain).connect(out);
    osc.start();
    const t0 = audioCtx.currentTime + 0.1;
    // A 100 ms tone every 500 ms, scheduled ahead for ten minutes.
    for (let i = 0; i < 1200; i++) {
      gain.gain.setValueAtTime(0.5, t0 + i * 0.5);
      gain.gain.setValueAtTime(0, t0 + i * 0.5 + 0.1);
    }
    return out.stream.getAudioTracks()[0]!;
  }

  md.getUserMedia = async (constraints?: MediaStreamConstraints): Promise<MediaStream> => {
    const real = await original(constraints);
    const tracks = real.getTracks().map((t) => {
      t.stop();
      return t.kind === 'video' ? canvasTrack() : beepTrack();
    });
    return new MediaStream(tracks);
  };
}

/**
 * Init script: this page's camera shows `colour` with frame numbers, its microphone beeps at
 * `toneHz` (1 kHz unless the caller gives the participant its own tone, calltest's identities).
 */
export function knownMediaScript(colour: Colour, toneHz = 1000): string {
  const { r, g, b } = SENDER_COLOURS[colour]!;
  const config: PaintConfig = {
    width: CAMERA.width,
    height: CAMERA.height,
    fps: CAMERA.fps,
    frames: CAMERA.frames,
    bits: FRAME_BITS,
    block: BLOCK,
    rgb: `rgb(${r},${g},${b})`,
    toneHz,
  };
  return `${NAME_SHIM}\n(${installKnownMedia.toString()})(${JSON.stringify(config)});`;
}
