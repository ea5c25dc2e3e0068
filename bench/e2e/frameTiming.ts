/**
 * BENCHMARK-ONLY page instrumentation of the E2EE frame worker (never part of the product).
 *
 * An init script wraps `Worker`: when the app starts its frame worker ('blindcall-frames'), the
 * worker is started from a small module that first runs `instrumentWorker` and then imports the
 * app's own worker script unchanged. `instrumentWorker` takes over `rtctransform` events:
 *
 * - 'measure': the app's handler gets the transform with a stamping stream in front of its
 *   readable and a timing sink behind its writable, so the time each frame spends inside the
 *   app's FramePipe (SFrame encrypt or decrypt), and the bytes it added or removed, are measured
 *   in the worker itself. Results go to the page over a BroadcastChannel.
 * - 'passthrough': the app's handler never sees the transform; frames are copied through as they
 *   are. Used only to compare the CPU of a call with and without E2EE.
 */
import type { Page } from 'playwright-core';

export type WorkerMode = 'measure' | 'passthrough';

export interface FrameTimingStats {
  /** `${role}/${media}`, e.g. 'send/video'. */
  readonly key: string;
  readonly frames: number;
  /** Per-frame time inside the app's transform, ms (at most the last 4000 frames). */
  readonly samples: readonly number[];
  /** Sum over all frames of (bytes out − bytes in). */
  readonly bytesDelta: number;
  readonly bytesIn: number;
}

const CHANNEL = 'blindcall-bench-frames';

/** Runs in the worker, before the app's worker module. */
function instrumentWorker(mode: WorkerMode, channel: string): void {
  interface Transformer {
    readonly options: unknown;
    readonly readable: ReadableStream<{ data: ArrayBuffer }>;
    readonly writable: WritableStream<{ data: ArrayBuffer }>;
  }
  type Handler = (event: { transformer: Transformer }) => void;
  const scope = self as unknown as {
    addEventListener(type: string, fn: (e: { transformer: Transformer }) => void): void;
  };
  let handler: Handler | null = null;
  // The app assigns `self.onrtctransform`; keep its handler to ourselves.
  Object.defineProperty(self, 'onrtctransform', {
    configurable: true,
    get: () => handler,
    set: (h: Handler | null) => {
      handler = h;
    },
  });
  const stats = new Map<
    string,
    { frames: number; samples: number[]; bytesDelta: number; bytesIn: number }
  >();
  scope.addEventListener('rtctransform', (event) => {
    const t = event.transformer;
    if (mode === 'passthrough') {
      void t.readable.pipeTo(t.writable).catch(() => undefined);
      return;
    }
    const o = t.options as { role: string; media: string };
    const key = `${o.role}/${o.media}`;
    let s = stats.get(key);
    if (!s) {
      s = { frames: 0, samples: [], bytesDelta: 0, bytesIn: 0 };
      stats.set(key, s);
    }
    const entry = s;
    const started = new WeakMap<object, [number, number]>();
    const stamp = new TransformStream<{ data: ArrayBuffer }, { data: ArrayBuffer }>({
      transform(frame, controller) {
        started.set(frame, [performance.now(), frame.data.byteLength]);
        controller.enqueue(frame);
      },
    });
    const writer = t.writable.getWriter();
    const sink = new WritableStream<{ data: ArrayBuffer }>({
      async write(frame) {
        const start = started.get(frame);
        if (start) {
          entry.frames++;
          entry.samples.push(performance.now() - start[0]);
          if (entry.samples.length > 4000) entry.samples.shift();
          entry.bytesDelta += frame.data.byteLength - start[1];
          entry.bytesIn += start[1];
        }
        await writer.write(frame);
      },
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason),
    });
    handler?.({
      transformer: { options: t.options, readable: t.readable.pipeThrough(stamp), writable: sink },
    });
  });
  const bc = new BroadcastChannel(channel);
  setInterval(() => {
    bc.postMessage([...stats.entries()].map(([key, v]) => ({ key, ...v })));
  }, 1000);
}

/** Runs in the page. */
function installWrapper(mode: WorkerMode, channel: string, instrumentSource: string): void {
  const w = window as typeof window & { __frameTiming?: () => FrameTimingStats[] };
  let latest: FrameTimingStats[] = [];
  const bc = new BroadcastChannel(channel);
  bc.onmessage = (e: MessageEvent<FrameTimingStats[]>) => {
    latest = e.data;
  };
  w.__frameTiming = () => latest;
  const Native = window.Worker;
  class InstrumentedWorker extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      if (options?.name !== 'blindcall-frames') {
        super(url, options);
        return;
      }
      const app = new URL(String(url), location.href).href;
      const pre = URL.createObjectURL(
        new Blob([`${instrumentSource}(${JSON.stringify(mode)}, ${JSON.stringify(channel)});`], {
          type: 'text/javascript',
        }),
      );
      // Static imports run in order: the instrumentation first, then the app's worker.
      const main = `import ${JSON.stringify(pre)};\nimport ${JSON.stringify(app)};\n`;
      super(URL.createObjectURL(new Blob([main], { type: 'text/javascript' })), {
        ...options,
        type: 'module',
      });
    }
  }
  window.Worker = InstrumentedWorker;
}

export function frameTimingScript(mode: WorkerMode): string {
  const shim = 'globalThis.__name ??= (f) => f;';
  const worker = `${shim}\n(${instrumentWorker.toString()})`;
  return `${shim}\n(${installWrapper.toString()})(${JSON.stringify(mode)}, ${JSON.stringify(CHANNEL)}, ${JSON.stringify(worker)});`;
}

export function frameTiming(page: Page): Promise<FrameTimingStats[]> {
  return page.evaluate(
    () =>
      (window as typeof window & { __frameTiming?: () => FrameTimingStats[] }).__frameTiming?.() ??
      [],
  );
}
