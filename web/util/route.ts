/**
 * The app's routes and invite links.
 *
 *   /                      home
 *   /r/<roomId>#<secret>   pre-join, then the call
 *
 * The room secret (32 random bytes, base64url) lives only in the fragment, which browsers never
 * send to a server. It is generated here, in the browser, and never leaves it except inside the
 * link a person chooses to share.
 */
import { ID_MAX_LENGTH, ID_PATTERN } from '../../shared/protocol/messages.js';
import { decodeBase64url, encodeBase64url } from './base64url.js';

export const ROOM_SECRET_BYTES = 32;
/** Unpadded base64url of 32 bytes: 43 characters. Any other length is refused before decoding. */
const ROOM_SECRET_CHARS = Math.ceil((ROOM_SECRET_BYTES * 4) / 3);
/** 12 random bytes → 16 base64url characters: unguessable and within the protocol's id rules. */
const ROOM_ID_BYTES = 12;

export type SecretProblem = 'missing' | 'malformed';

export type Route =
  | { name: 'home' }
  | { name: 'room'; roomId: string; secret: Uint8Array }
  | { name: 'room-without-secret'; roomId: string; problem: SecretProblem }
  | { name: 'not-found' };

export function parseRoute(pathname: string, hash: string): Route {
  if (pathname === '/' || pathname === '') return { name: 'home' };
  const match = /^\/r\/([^/]+)\/?$/.exec(pathname);
  const roomId = match?.[1];
  if (!roomId || roomId.length > ID_MAX_LENGTH || !ID_PATTERN.test(roomId)) {
    return { name: 'not-found' };
  }
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (fragment === '') return { name: 'room-without-secret', roomId, problem: 'missing' };
  // A link can carry a fragment of any size; do not decode (and allocate for) a wrong one.
  const secret = fragment.length === ROOM_SECRET_CHARS ? decodeBase64url(fragment) : null;
  if (!secret || secret.length !== ROOM_SECRET_BYTES) {
    return { name: 'room-without-secret', roomId, problem: 'malformed' };
  }
  return { name: 'room', roomId, secret };
}

export interface NewRoom {
  roomId: string;
  secret: Uint8Array;
}

export function createRoom(random: (n: number) => Uint8Array = randomBytes): NewRoom {
  return { roomId: encodeBase64url(random(ROOM_ID_BYTES)), secret: random(ROOM_SECRET_BYTES) };
}

export function roomPath(roomId: string): string {
  return `/r/${roomId}`;
}

export function inviteLink(origin: string, room: NewRoom): string {
  return `${origin}${roomPath(room.roomId)}#${encodeBase64url(room.secret)}`;
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
