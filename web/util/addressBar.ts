/**
 * Takes the room secret out of the address bar as soon as the page has read it.
 *
 * The invite link `/#r/<roomId>/<secret>` is replaced (history.replaceState, so no new entry and
 * no navigation) by `/#r/<roomId>`: the secret is then in no history entry, no "copy URL", no
 * screen share of the address bar, no bookmark made during the call. It lives in this page's
 * memory only — never sessionStorage, which any script of the origin can read later and which
 * Chromium writes to disk for session restore. The cost: a reload forgets it, and the page asks for
 * the invite link again (the call offers "Copy invite link" to keep it at hand). docs/protocol.md §10.
 */
import { parseRoute, roomAddress, type Route } from './route.js';

/** Secrets read from the address bar during this page's life, by room id. */
const secrets = new Map<string, Uint8Array>();

export interface AddressBar {
  readonly pathname: string;
  /** The query string (`?ice=relay`, `?keys=mls`): kept, since it carries no secret. */
  readonly search?: string;
  readonly hash: string;
}

/** Reads the current route, removing a secret from the address bar and remembering it. */
export function readAddressBar(
  where: AddressBar = location,
  replace: (url: string) => void = (url) => history.replaceState(history.state, '', url),
): Route {
  const route = parseRoute(where.pathname, where.hash);
  if (route.name === 'room') {
    secrets.set(route.roomId, route.secret);
    // The query string stays: the page's switches are read from it after this (the join).
    const address = roomAddress(route.roomId);
    replace(`/${where.search ?? ''}${address.slice(1)}`);
    return route;
  }
  if (route.name === 'room-without-secret' && route.problem === 'missing') {
    const secret = secrets.get(route.roomId);
    if (secret) return { name: 'room', roomId: route.roomId, secret };
  }
  return route;
}

/** Forgets every remembered secret (leaving the room page for another one). */
export function forgetSecrets(keep?: string): void {
  for (const roomId of [...secrets.keys()]) if (roomId !== keep) secrets.delete(roomId);
}
