/**
 * A participant's own decryptor, run on frames of the test's choosing: the way to ask "could
 * THIS page decrypt THOSE frames?" without the product ever exporting a key.
 *
 * An init script wraps `Worker` in the page. When the app starts its frame worker
 * (name 'blindcall-frames'), a second instance of the very same worker script starts beside it
 * (the "shadow"). Every key message the app sends to its worker (`addReceiverKey`,
 * `removeReceiverKey`) is also posted, structured-cloned, to the shadow, before the original is
 * transferred. The shadow therefore holds exactly the receive keys this page was given, and
 * nothing else; the keys never leave the page and the test never sees them. `close` is NOT
 * mirrored, so after a leave the shadow still holds every key the page ever had — the strongest
 * position from which to try frames sent after it left.
 *
 * Frames are fed through the worker's own legacy-streams entry (`attachStreams`, a receive pipe
 * with the sender's peer id), so decryption runs the product's FramePipe and SFrameContext
 * (replay window, join ratchet, owner check) unchanged. The shadow's replay windows are its own,
 * so frames the live receiver already decrypted can be decrypted again here.
 */
import type { Page } from 'playwright-core';
import type { FrameSource, TransformStats } from '../../../../web/e2ee/messages.js';
import { fromBase64, toBase64 } from './ciphertext.js';
import { NAME_SHIM } from '../../../../calltest/media/mediaProbe.js';

interface ShadowApi {
  /** KIDs (never keys) of every receive key mirrored into the shadow, with their owner. */
  readonly kids: { kid: number; peerId: string }[];
  feed(
    frames: readonly string[],
    peerId: string,
    media: 'audio' | 'video',
    source: FrameSource,
  ): Promise<{ decrypted: (string | null)[]; stats: TransformStats | null }>;
}

/** Runs in the page. */
function installShadow(): void {
  type Win = typeof window & { __shadowDecryptor?: ShadowApi };
  const w = window as Win;
  const Native = window.Worker;
  const kids: { kid: number; peerId: string }[] = [];
  let probes = 0;

  class MirroredWorker extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      if (options?.name !== 'blindcall-frames') return;
      const shadow = new Native(url, { ...options, name: 'blindcall-frames-shadow' });
      const stats = new Map<string, TransformStats>();
      shadow.addEventListener('message', (e: MessageEvent) => {
        const msg = e.data as { kind?: string; transforms?: TransformStats[] };
        if (msg.kind === 'stats') for (const t of msg.transforms ?? []) stats.set(t.transformId, t);
      });
      const real = this.postMessage.bind(this) as (m: unknown, t?: Transferable[]) => void;
      this.postMessage = ((message: unknown, transfer?: Transferable[]) => {
        const m = message as { kind?: string; kid?: number; peerId?: string };
        if (m.kind === 'addReceiverKey' || m.kind === 'removeReceiverKey') {
          shadow.postMessage(message); // a clone: the original's bytes are then transferred
          if (m.kind === 'addReceiverKey') kids.push({ kid: m.kid!, peerId: m.peerId! });
        }
        real(message, transfer);
      }) as Worker['postMessage'];

      const feed: ShadowApi['feed'] = async (frames, peerId, media, source) => {
        const transformId = `shadow-probe-${++probes}`;
        // Frames keep their index through the worker (it only replaces `data`), so results line up.
        const decrypted: (string | null)[] = frames.map(() => null);
        let opened = 0;
        let next = 0;
        const readable = new ReadableStream<{ data: ArrayBuffer; index: number }>({
          pull(controller) {
            if (next >= frames.length) return controller.close();
            const bin = atob(frames[next++]!);
            const bytes = new Uint8Array(bin.length);
            for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
            controller.enqueue({ data: bytes.buffer, index: next - 1 });
          },
        });
        const writable = new WritableStream<{ data: ArrayBuffer; index: number }>({
          write(chunk) {
            const bytes = new Uint8Array(chunk.data);
            let bin = '';
            for (let i = 0; i < bytes.length; i += 0x8000)
              bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
            decrypted[chunk.index] = btoa(bin);
            opened++;
          },
        });
        shadow.postMessage(
          {
            kind: 'attachStreams',
            options: { transformId, role: 'recv', media, peerId, source },
            readable,
            writable,
          },
          [readable, writable],
        );
        const done = (): boolean => {
          const s = stats.get(transformId);
          if (!s) return false;
          const dropped = Object.values(s.dropped).reduce((a, b) => a + (b ?? 0), 0);
          return s.frames + dropped >= frames.length && opened >= s.frames;
        };
        const deadline = Date.now() + 30_000;
        while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        shadow.postMessage({ kind: 'detach', transformId });
        return { decrypted, stats: stats.get(transformId) ?? null };
      };
      w.__shadowDecryptor = { kids, feed };
    }
  }
  window.Worker = MirroredWorker;
}

export function shadowDecryptorScript(): string {
  return `${NAME_SHIM}\n(${installShadow.toString()})();`;
}

export interface ShadowResult {
  /** Per input frame: its plaintext, or null when the page's keys did not open it. */
  readonly decrypted: (Uint8Array | null)[];
  readonly opened: number;
  readonly droppedByReason: Readonly<Record<string, number>>;
  readonly dropped: number;
}

/**
 * Feeds `frames` (as the SFU forwarded them) to `page`'s shadow decryptor as sender `peerId`'s
 * `source` (its label is authenticated in every frame: web/e2ee/messages.ts FRAME_SOURCE_LABEL).
 */
export async function decryptInPage(
  page: Page,
  frames: readonly Uint8Array[],
  peerId: string,
  media: 'audio' | 'video',
  source: FrameSource = media === 'audio' ? 'microphone' : 'camera',
): Promise<ShadowResult> {
  const result = await page.evaluate(
    async ({ frames, peerId, media, source }) => {
      const api = (window as typeof window & { __shadowDecryptor?: ShadowApi }).__shadowDecryptor;
      if (!api) throw new Error('shadow decryptor not installed (no frame worker yet?)');
      return api.feed(frames, peerId, media, source);
    },
    { frames: frames.map(toBase64), peerId, media, source },
  );
  if (!result.stats) throw new Error('the shadow decryptor reported no stats');
  const droppedByReason = Object.fromEntries(
    Object.entries(result.stats.dropped).filter(([, n]) => (n ?? 0) > 0),
  ) as Record<string, number>;
  return {
    decrypted: result.decrypted.map((d) => (d === null ? null : fromBase64(d))),
    opened: result.decrypted.filter((d) => d !== null).length,
    droppedByReason,
    dropped: Object.values(droppedByReason).reduce((a, b) => a + b, 0),
  };
}

/** A tapped producer's `source` as the frame worker's label name. */
export function frameSource(source: string): FrameSource {
  if (source === 'microphone' || source === 'camera' || source === 'screen') return source;
  throw new Error(`not a media source: ${source}`);
}

/** KIDs of every receive key the page was ever given (from the mirrored key messages). */
export function receivedKids(page: Page): Promise<{ kid: number; peerId: string }[]> {
  return page.evaluate(
    () =>
      (window as typeof window & { __shadowDecryptor?: ShadowApi }).__shadowDecryptor?.kids ?? [],
  );
}
