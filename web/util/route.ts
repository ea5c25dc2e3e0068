/**
 * The app's routes and invite links.
 *
 *   /                          home
 *   /#r/<roomId>/<secret>      an invite link: pre-join, then the call
 *   /#r/<roomId>               the same room once the secret has left the address bar
 *   /r/<roomId>#<secret>       older links (still accepted; the path names the room to the server)
 *
 * Everything that names a room lives in the fragment, which browsers never send to a server: the
 * page request is `GET /` for every room, so whoever serves the files cannot tell which room a
 * person opens (docs/protocol.md §10). The room secret (32 random bytes, base64url) is generated
 * here, in the browser, and never leaves it except inside the link a person chooses to share.
 */
import { ID_MAX_LENGTH, ID_PATTERN } from '../../shared/protocol/messages.js';
import { decodeBase64url, encodeBase64url } from './base64url.js';

export const ROOM_SECRET_BYTES = 32;
/** Unpadded base64url of 32 bytes: 43 characters. Any other length is refused before decoding. */
const ROOM_SECRET_CHARS = Math.ceil((ROOM_SECRET_BYTES * 4) / 3);
/** 12 random bytes → 16 base64url characters: unguessable and within the protocol's id rules. */
const ROOM_ID_BYTES = 12;
/** Fragment prefix of a room: `#r/`. */
const ROOM_FRAGMENT = 'r/';

export type SecretProblem = 'missing' | 'malformed';

export type Route =
  | { name: 'home' }
  | { name: 'room'; roomId: string; secret: Uint8Array }
  | { name: 'room-without-secret'; roomId: string; problem: SecretProblem }
  | { name: 'not-found' };

function validRoomId(roomId: string | undefined): roomId is string {
  return !!roomId && roomId.length <= ID_MAX_LENGTH && ID_PATTERN.test(roomId);
}

function withSecret(roomId: string, encoded: string): Route {
  if (encoded === '') return { name: 'room-without-secret', roomId, problem: 'missing' };
  // A link can carry a fragment of any size; do not decode (and allocate for) a wrong one.
  const secret = encoded.length === ROOM_SECRET_CHARS ? decodeBase64url(encoded) : null;
  if (!secret || secret.length !== ROOM_SECRET_BYTES) {
    return { name: 'room-without-secret', roomId, problem: 'malformed' };
  }
  return { name: 'room', roomId, secret };
}

export function parseRoute(pathname: string, hash: string): Route {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (pathname === '/' || pathname === '' || pathname === '/index.html') {
    if (fragment === '') return { name: 'home' };
    if (!fragment.startsWith(ROOM_FRAGMENT)) return { name: 'not-found' };
    const [roomId, encoded = '', ...rest] = fragment.slice(ROOM_FRAGMENT.length).split('/');
    if (!validRoomId(roomId) || rest.length > 0) return { name: 'not-found' };
    return withSecret(roomId, encoded);
  }
  const legacy = /^\/r\/([^/]+)\/?$/.exec(pathname)?.[1];
  if (!validRoomId(legacy)) return { name: 'not-found' };
  return withSecret(legacy, fragment);
}

export interface NewRoom {
  roomId: string;
  secret: Uint8Array;
}

export function createRoom(random: (n: number) => Uint8Array = randomBytes): NewRoom {
  return { roomId: encodeBase64url(random(ROOM_ID_BYTES)), secret: random(ROOM_SECRET_BYTES) };
}

/** The room's address without its secret: what the address bar and history keep. */
export function roomAddress(roomId: string): string {
  return `/#${ROOM_FRAGMENT}${roomId}`;
}

/** The link to share: the room's address with the secret. */
export function roomLink(room: NewRoom): string {
  return `${roomAddress(room.roomId)}/${encodeBase64url(room.secret)}`;
}

export function inviteLink(origin: string, room: NewRoom): string {
  return `${origin}${roomLink(room)}`;
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
