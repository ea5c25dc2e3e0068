/**
 * Stable error codes of the signalling protocol. Clients switch on `code`; `message` is for humans.
 * Never rename a code: add a new one.
 */
export const ERROR_CODES = [
  /** The message did not match its schema (wrong type, missing or extra field, bad id). */
  'BAD_REQUEST',
  /** The event name is not part of the protocol. */
  'UNKNOWN_EVENT',
  /** The message (or its binary payload) exceeds the size limit. */
  'TOO_LARGE',
  /** The socket sent more messages than its rate limit allows. */
  'RATE_LIMITED',
  /** The request needs a joined room (e.g. consume before join). */
  'NOT_JOINED',
  /** join sent twice on one connection. */
  'ALREADY_JOINED',
  /** The room has reached its participant limit. */
  'ROOM_FULL',
  /** A transport, producer, consumer or peer id that does not exist (or is closed). */
  'NOT_FOUND',
  /** The request is valid but not in the current state (e.g. connect a transport twice). */
  'INVALID_STATE',
  /** The client's RTP capabilities cannot receive the producer. */
  'CANNOT_CONSUME',
  /** mediasoup refused the parameters (e.g. invalid RTP or DTLS parameters). */
  'MEDIA_REJECTED',
  /** The server is shutting down or the room's media worker went away; reconnect. */
  'UNAVAILABLE',
  /** MLS: the commit is based on an epoch another commit already ended; process it and retry. */
  'STALE_EPOCH',
  /** MLS: the commit is based on an epoch the room has not reached. */
  'FUTURE_EPOCH',
  /** MLS: the room has no group yet; create it. */
  'NO_GROUP',
  /** MLS: the room already has a group; join it. */
  'GROUP_EXISTS',
  /** MLS: an envelope is malformed, of the wrong kind or epoch, or not made with the room's link. */
  'BAD_ENVELOPE',
  /** An unexpected server fault; the request changed nothing. */
  'INTERNAL',
  /** A per-peer cap (transports, producers, consumers) is reached; close one first. */
  'LIMIT_REACHED',
  /** The peer's relay fan-out budget (payload bytes × recipients per second) is spent; retry later. */
  'RELAY_LIMITED',
  /** The server hosts as many rooms as it may; a new room cannot be opened here now. */
  'SERVER_FULL',
  /** Too many signalling connections from one client address (refused at connect). */
  'TOO_MANY_CONNECTIONS',
  /** The socket stopped reading: its queue of unsent messages hit the limit, so it was closed. */
  'BACKPRESSURE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ProtocolErrorBody {
  code: ErrorCode;
  message: string;
}

/** Every request is acknowledged with exactly one of these. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ProtocolErrorBody };

/** Thrown by request handlers and by the client when a request fails. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  toBody(): ProtocolErrorBody {
    return { code: this.code, message: this.message };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
