/**
 * The signalling protocol: every client→server request and server→client notification, with its
 * runtime schema. socket.io's typed generics (`ClientToServerEvents`, `ServerToClientEvents`) are
 * derived from the schemas, so types and validation are one definition.
 *
 * Requests are socket.io events with an acknowledgement callback that receives
 * `Ack<Response>` (`{ ok: true, data } | { ok: false, error: { code, message } }`).
 * Notifications are events without an acknowledgement.
 *
 * mediasoup parameter objects (RTP/DTLS/ICE) are carried as opaque, size-bounded objects: the SFU
 * hands them to mediasoup, which validates them field by field, and the client hands them to
 * mediasoup-client.
 *
 * The server never sees E2EE content: `mls*` payloads are envelopes sealed under the room secret
 * (shared/mls).
 */
import type {
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
} from 'mediasoup-client/types';
import type { Ack } from './errors.js';
import {
  array,
  boolean,
  bytes,
  integer,
  literal,
  nullable,
  object,
  opaqueObject,
  optional,
  string,
  type Infer,
  type Schema,
} from './schema.js';

/** Room ids come from the link path; peer ids are made by the server. */
export const ID_MAX_LENGTH = 64;
export const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Largest mediasoup parameter object (RTP parameters with simulcast and extensions fit in 16 KiB). */
export const MEDIA_PARAMS_MAX_BYTES = 32 * 1024;
/** Transport-level frame limit for socket.io (engine.io's maxHttpBufferSize). */
export const SOCKET_MAX_BYTES = 128 * 1024;
/**
 * Largest sealed MLS envelope (shared/mls/envelopeHeader.ts) carried by signalling. socket.io sends
 * each binary field as its own engine.io packet, so one envelope must fit in SOCKET_MAX_BYTES; a
 * GroupInfo with the ratchet tree of a room at the default peer limit (50) is ~15 KB.
 */
export const MLS_ENVELOPE_MAX_BYTES = 120 * 1024;
/** Largest MLS application message or KeyPackage envelope (chat, heartbeats, KeyPackages). */
export const MLS_MESSAGE_MAX_BYTES = 64 * 1024;
/** Accepted commits the server keeps per room for members catching up (mlsCommitsSince). */
export const MLS_COMMIT_LOG_LENGTH = 16;
/** MLS epochs travel as JSON numbers; a room would need 2^53 commits to run out. */
export const MLS_EPOCH_MAX = Number.MAX_SAFE_INTEGER;

const id = string({ min: 1, max: ID_MAX_LENGTH, pattern: ID_PATTERN });
/** mediasoup ids are UUIDs. */
const mediaId = string({ min: 1, max: 64, pattern: /^[0-9a-fA-F-]+$/ });
const kind = literal<MediaKind>('audio', 'video');
export const MEDIA_SOURCES = ['camera', 'microphone', 'screen'] as const;
export type MediaSource = (typeof MEDIA_SOURCES)[number];
const source = literal<MediaSource>(...MEDIA_SOURCES);
const rtpCapabilities = opaqueObject<RtpCapabilities>({ maxBytes: MEDIA_PARAMS_MAX_BYTES });
const rtpParameters = opaqueObject<RtpParameters>({ maxBytes: MEDIA_PARAMS_MAX_BYTES });
const dtlsParameters = opaqueObject<DtlsParameters>({ maxBytes: MEDIA_PARAMS_MAX_BYTES });
const iceParameters = opaqueObject<IceParameters>({ maxBytes: MEDIA_PARAMS_MAX_BYTES });
const empty = object({});
const epoch = integer({ min: 0, max: MLS_EPOCH_MAX });
const envelope = bytes({ min: 1, max: MLS_ENVELOPE_MAX_BYTES });

/**
 * A TURN server for the client's `iceServers`, with short-lived credentials the SFU made for this
 * join (sfu/turn/credentials.ts). Only turn:/turns: URLs: a client never gets told to use
 * anything else.
 */
const iceServer = object({
  urls: array(string({ min: 6, max: 256, pattern: /^turns?:[^\s]+$/ }), { max: 8 }),
  username: string({ min: 1, max: 128 }),
  credential: string({ min: 1, max: 128 }),
});
export type IceServer = Infer<typeof iceServer>;

/**
 * Why a received frame could not be decrypted, as the client counts them (web/e2ee DropReason,
 * without CLOSED, which is the receiver's own shutdown). A closed list, so the server's counter
 * has a bounded set of labels.
 */
export const DECRYPT_FAILURE_REASONS = [
  'UNKNOWN_KID',
  'AUTH_FAILED',
  'WRONG_LABEL',
  'REPLAY',
  'TOO_OLD',
  'MALFORMED',
  'NO_SENDER_KEY',
  'KEY_REUSE',
  'BAD_KEY',
  'COUNTER_EXHAUSTED',
  'EMPTY',
  'WRONG_SENDER',
  'INTERNAL',
] as const;
export type DecryptFailureReason = (typeof DECRYPT_FAILURE_REASONS)[number];
/** Largest count one report may carry (a report is sent at most every few seconds). */
export const DECRYPT_REPORT_MAX_COUNT = 1_000_000;

const producerInfo = object({ producerId: mediaId, peerId: id, kind, source, paused: boolean });
export type ProducerInfo = Infer<typeof producerInfo>;

/** Request schemas (client → server) and response schemas (server → client), by event name. */
export const requests = {
  /** The SFU's RTP capabilities, needed to load a mediasoup-client Device before joining. */
  getRouterRtpCapabilities: {
    request: empty,
    response: object({ routerRtpCapabilities: rtpCapabilities }),
  },
  /** Enter a room (created on first join). Returns the peer id the server assigned. */
  join: {
    request: object({ roomId: id, rtpCapabilities }),
    response: object({
      peerId: id,
      peers: array(object({ peerId: id }), { max: 1000 }),
      producers: array(producerInfo, { max: 3000 }),
      maxPeers: integer({ min: 1, max: 10_000 }),
      /** TURN servers with credentials for this join; empty when the SFU has no TURN. */
      iceServers: optional(array(iceServer, { max: 1 })),
    }),
  },
  /** Leave the room; the connection stays open and may join again. */
  leave: { request: empty, response: empty },
  createTransport: {
    request: object({ direction: literal('send', 'recv') }),
    response: object({
      transportId: mediaId,
      iceParameters,
      iceCandidates: array(opaqueObject<IceCandidate>({ maxBytes: 1024 }), { max: 16 }),
      dtlsParameters,
    }),
  },
  connectTransport: {
    request: object({ transportId: mediaId, dtlsParameters }),
    response: empty,
  },
  restartIce: {
    request: object({ transportId: mediaId }),
    response: object({ iceParameters }),
  },
  produce: {
    request: object({
      transportId: mediaId,
      kind,
      rtpParameters,
      source,
      paused: optional(boolean),
    }),
    response: object({ producerId: mediaId }),
  },
  closeProducer: { request: object({ producerId: mediaId }), response: empty },
  pauseProducer: { request: object({ producerId: mediaId }), response: empty },
  resumeProducer: { request: object({ producerId: mediaId }), response: empty },
  /** Consumers are created paused; the client resumes them once its receiver is wired up. */
  consume: {
    request: object({ transportId: mediaId, producerId: mediaId }),
    response: object({
      consumerId: mediaId,
      producerId: mediaId,
      peerId: id,
      kind,
      source,
      rtpParameters,
      producerPaused: boolean,
    }),
  },
  pauseConsumer: { request: object({ consumerId: mediaId }), response: empty },
  resumeConsumer: { request: object({ consumerId: mediaId }), response: empty },
  /** Simulcast layer preference, e.g. from the size of the tile that shows the consumer. */
  setConsumerLayers: {
    request: object({
      consumerId: mediaId,
      spatialLayer: integer({ min: 0, max: 3 }),
      temporalLayer: optional(integer({ min: 0, max: 3 })),
    }),
    response: empty,
  },
  /** Ask the sender of a video producer for a key frame (after a decrypt gap, for example). */
  requestKeyFrame: { request: object({ consumerId: mediaId }), response: empty },
  /**
   * Frames this client could not decrypt since its last report, by reason only: no peer, key or
   * frame ids. The server adds them to a counter for operators (`/metrics`) and keeps nothing
   * else.
   */
  reportDecryptFailures: {
    request: object({
      counts: array(
        object({
          reason: literal<DecryptFailureReason>(...DECRYPT_FAILURE_REASONS),
          count: integer({ min: 1, max: DECRYPT_REPORT_MAX_COUNT }),
        }),
        { max: DECRYPT_FAILURE_REASONS.length },
      ),
    }),
    response: empty,
  },
  /*
   * MLS (docs/protocol.md, "MLS"). Every payload is a sealed envelope: the server reads only its
   * clear header (kind, epoch) and checks its room signature; it never parses MLS.
   */
  /** The room's latest sealed GroupInfo (null fields: the room has no group yet). */
  mlsGroupInfo: {
    request: empty,
    response: object({ epoch: nullable(epoch), groupInfo: nullable(envelope) }),
  },
  /**
   * The commits accepted since `epoch` (based on `epoch`, `epoch + 1`, …), for a member that missed
   * some: it processes them instead of resyncing by an external commit the whole room would have
   * to process. Empty when the server's log no longer reaches back that far (then resync).
   */
  mlsCommitsSince: {
    request: object({ epoch }),
    response: object({
      epoch: nullable(epoch),
      commits: array(envelope, { max: MLS_COMMIT_LOG_LENGTH }),
    }),
  },
  /** Makes the room's group (epoch 0); GROUP_EXISTS when someone was first: join it instead. */
  mlsCreateGroup: {
    request: object({ roomPublicKey: bytes({ min: 32, max: 32 }), groupInfo: envelope }),
    response: object({ epoch }),
  },
  /**
   * Submits a commit based on `baseEpoch` with the GroupInfo of the epoch it makes. The first
   * commit per epoch wins and is fanned out to the room (notification `mlsCommit`) before this is
   * acknowledged; later ones are refused with STALE_EPOCH.
   */
  mlsCommit: {
    request: object({
      baseEpoch: epoch,
      commit: envelope,
      groupInfo: envelope,
      welcome: nullable(envelope),
    }),
    response: object({ epoch }),
  },
  /** Replaces the current epoch's GroupInfo (a member refreshing it). */
  mlsPublishGroupInfo: {
    request: object({ epoch, groupInfo: envelope }),
    response: empty,
  },
  /** Fans a sealed KeyPackage or application message (chat, names) out to the other peers. */
  mlsSend: {
    request: object({ envelope: bytes({ min: 1, max: MLS_MESSAGE_MAX_BYTES }) }),
    response: empty,
  },
  /**
   * This peer installed the keys of `epoch`. When every peer that reported an epoch is on the
   * room's current one, the server tells the room (`mlsEpochReady`) and senders switch at once.
   */
  mlsReady: { request: object({ epoch }), response: empty },
} satisfies Record<string, { request: Schema<unknown>; response: Schema<unknown> }>;

export type RequestName = keyof typeof requests;
export type RequestOf<K extends RequestName> = Infer<(typeof requests)[K]['request']>;
export type ResponseOf<K extends RequestName> = Infer<(typeof requests)[K]['response']>;

/** Notification schemas (server → client). */
export const notifications = {
  peerJoined: object({ peerId: id }),
  peerLeft: object({ peerId: id }),
  newProducer: producerInfo,
  /** A consumer of this client was closed because its producer or transport went away. */
  consumerClosed: object({ consumerId: mediaId }),
  consumerPaused: object({ consumerId: mediaId }),
  consumerResumed: object({ consumerId: mediaId }),
  /**
   * One of this client's simulcast producers stopped a layer, and the SFU moved that layer's
   * consumers down to `spatialLayer` (an encoding index): encode a key frame of it now, so they
   * need not wait for their RTCP key-frame requests. A hint the client rate-limits; the server
   * could send PLIs anyway, so it grants no new power.
   */
  keyFrameNeeded: object({ producerId: mediaId, spatialLayer: integer({ min: 0, max: 3 }) }),
  /**
   * The server lost this peer's media state (worker restart, shutdown): the client must join
   * again (with fresh keys) on this or a new connection.
   */
  reconnect: object({ reason: literal('WORKER_DIED', 'SHUTDOWN') }),
  /** A commit the sequencer accepted; `epoch` is the epoch it made. */
  mlsCommit: object({ from: id, epoch, commit: envelope, welcome: nullable(envelope) }),
  /** A sealed KeyPackage or application message from another peer. */
  mlsMessage: object({ from: id, envelope: bytes({ min: 1, max: MLS_MESSAGE_MAX_BYTES }) }),
  /** Every MLS peer of the room installed `epoch`: senders may switch to it now. */
  mlsEpochReady: object({ epoch }),
} satisfies Record<string, Schema<unknown>>;

export type NotificationName = keyof typeof notifications;
export type NotificationOf<K extends NotificationName> = Infer<(typeof notifications)[K]>;

export type ClientToServerEvents = {
  [K in RequestName]: (request: RequestOf<K>, ack: (response: Ack<ResponseOf<K>>) => void) => void;
};

export type ServerToClientEvents = {
  [K in NotificationName]: (message: NotificationOf<K>) => void;
};

export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(requests, name);
}

export function isNotificationName(name: string): name is NotificationName {
  return Object.hasOwn(notifications, name);
}
