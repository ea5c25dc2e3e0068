/**
 * The E2EE frame worker. One instance serves every sender and receiver of a call, with ONE
 * SFrameContext: the local sender key lives in exactly one context, so its frame counter (and
 * thus its AES-GCM nonce) can never restart or repeat across tracks (see shared/sframe).
 *
 * Transforms arrive as `rtctransform` events (RTCRtpScriptTransform) or, on browsers with only
 * the legacy Insertable Streams API, as transferred streams in an `attachStreams` message.
 * Key messages are applied strictly in order; key bytes are wiped after import and never logged
 * (this worker has no logger at all: problems are reported to the main thread as codes).
 */
import { SFrameContext, SFrameError } from '../../../shared/sframe/index.js';
import { assertNever, type FromWorker, type ToWorker, type TransformOptions } from '../messages.js';
import { FramePipe } from './FramePipe.js';

declare const self: DedicatedWorkerGlobalScope;

const STATS_INTERVAL_MS = 500;

const ctx = new SFrameContext();
const pipes = new Map<string, FramePipe>();
/** Script transformers of senders, by transform id, for generateKeyFrame(). */
const transformers = new Map<string, RTCRtpScriptTransformer>();
let closed = false;
/** Key operations run one after another, in the order the main thread sent them. */
let keyQueue: Promise<void> = Promise.resolve();

function post(message: FromWorker): void {
  self.postMessage(message);
}

function isTransformOptions(value: unknown): value is TransformOptions {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return (
    typeof o.transformId === 'string' &&
    (o.role === 'send' || o.role === 'recv') &&
    (o.media === 'audio' || o.media === 'video') &&
    (o.peerId === null || typeof o.peerId === 'string') &&
    (o.source === 'microphone' || o.source === 'camera' || o.source === 'screen')
  );
}

function startPipe(
  options: TransformOptions,
  readable: ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>,
  writable: WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>,
  transformer: RTCRtpScriptTransformer | null = null,
): void {
  pipes.get(options.transformId)?.stop();
  transformers.delete(options.transformId);
  // Declared by the DOM lib, yet absent in Chromium 156: test it at run time.
  const generatesKeyFrames =
    transformer !== null && typeof (transformer.generateKeyFrame as unknown) === 'function';
  if (transformer && generatesKeyFrames && options.role === 'send') {
    transformers.set(options.transformId, transformer);
  }
  post({ kind: 'attached', transformId: options.transformId, generatesKeyFrames });
  const pipe = new FramePipe(ctx, options, (transformId) =>
    post({ kind: 'recovered', transformId }),
  );
  if (closed) pipe.stop();
  pipes.set(options.transformId, pipe);
  void pipe.run(readable, writable);
}

function enqueueKeyOp(op: ToWorker['kind'], keyBytes: Uint8Array, work: () => Promise<void>): void {
  keyQueue = keyQueue.then(async () => {
    try {
      await work();
    } catch (err) {
      post({ kind: 'keyError', op, code: err instanceof SFrameError ? err.code : 'INTERNAL' });
    } finally {
      keyBytes.fill(0);
    }
  });
}

type Handlers = { [K in ToWorker['kind']]: (msg: Extract<ToWorker, { kind: K }>) => void };

const handlers: Handlers = {
  setSenderKey: (msg) =>
    enqueueKeyOp(msg.kind, msg.keyBytes, () => ctx.setSenderKey(msg.kid, msg.keyBytes)),
  addReceiverKey: (msg) =>
    enqueueKeyOp(msg.kind, msg.keyBytes, async () => {
      await ctx.addReceiverKey(msg.kid, msg.keyBytes, msg.peerId);
      for (const pipe of pipes.values()) pipe.keysChanged(); // frames may be waiting for it
    }),
  removeReceiverKey: (msg) => {
    keyQueue = keyQueue.then(() => ctx.removeReceiverKey(msg.kid, msg.peerId ?? undefined));
  },
  attachStreams: (msg) => startPipe(msg.options, msg.readable, msg.writable),
  detach: (msg) => {
    pipes.get(msg.transformId)?.stop();
    pipes.delete(msg.transformId);
    transformers.delete(msg.transformId);
  },
  generateKeyFrame: (msg) => {
    const transformer = transformers.get(msg.transformId);
    if (!transformer || closed) return;
    const request =
      msg.rid === null ? transformer.generateKeyFrame() : transformer.generateKeyFrame(msg.rid);
    // Rejects e.g. for a rid the sender no longer has, or while it sends nothing; no secret inside.
    request.catch(() => post({ kind: 'keyError', op: msg.kind, code: 'KEY_FRAME_FAILED' }));
  },
  close: () => {
    closed = true;
    for (const pipe of pipes.values()) pipe.stop();
    transformers.clear();
    ctx.close();
  },
};

function dispatch(msg: ToWorker): void {
  switch (msg.kind) {
    case 'setSenderKey':
      return handlers.setSenderKey(msg);
    case 'addReceiverKey':
      return handlers.addReceiverKey(msg);
    case 'removeReceiverKey':
      return handlers.removeReceiverKey(msg);
    case 'attachStreams':
      return handlers.attachStreams(msg);
    case 'detach':
      return handlers.detach(msg);
    case 'generateKeyFrame':
      return handlers.generateKeyFrame(msg);
    case 'close':
      return handlers.close(msg);
    default:
      return assertNever(msg);
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => dispatch(event.data);

self.onrtctransform = (event: RTCTransformEvent) => {
  const { transformer } = event;
  const options: unknown = transformer.options;
  if (!isTransformOptions(options)) return; // not ours: leave it unpiped, so nothing flows
  startPipe(
    options,
    transformer.readable as ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>,
    transformer.writable as WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>,
    transformer,
  );
};

setInterval(() => {
  if (pipes.size === 0) return;
  post({
    kind: 'stats',
    senderKid: closed ? null : ctx.senderKid,
    transforms: [...pipes.values()].map((p) => p.stats()),
  });
}, STATS_INTERVAL_MS);
