/**
 * The deployment and room a run targets, from the one URL the operator gives: a base URL (the
 * run creates a room) or an invite link. Invite links put the room secret in the fragment,
 * `…/r/<roomId>#<secret>` or `…/#r/<roomId>/<secret>`; the secret must never appear in anything
 * the tool prints or writes, so everything shown goes through `redactLink`.
 */
import { isIP } from 'node:net';

export type Target =
  | { readonly kind: 'base'; readonly origin: string; readonly hostname: string }
  | {
      readonly kind: 'invite';
      readonly origin: string;
      readonly hostname: string;
      readonly roomId: string;
      /** The whole link (with its secret): given only to the participants' pages. */
      readonly link: string;
    };

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export function parseTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetError(`not a URL: ${redactLink(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TargetError(`expected an http(s) URL, got ${url.protocol}`);
  const base = { origin: url.origin, hostname: url.hostname.replace(/^\[|\]$/g, '') };
  const fragment = url.hash.replace(/^#/, '');
  const legacy = /^\/r\/([^/]+)\/?$/.exec(url.pathname)?.[1];
  if (legacy !== undefined) {
    if (!ROOM_ID.test(legacy) || !SECRET.test(fragment))
      throw new TargetError('an invite link needs its room id and its 43-character secret');
    return { kind: 'invite', ...base, roomId: legacy, link: url.href };
  }
  if (fragment.startsWith('r/')) {
    const [roomId = '', secret = ''] = fragment.slice(2).split('/');
    if (!ROOM_ID.test(roomId) || !SECRET.test(secret))
      throw new TargetError('an invite link needs its room id and its 43-character secret');
    return { kind: 'invite', ...base, roomId, link: url.href };
  }
  if (url.pathname !== '/' && url.pathname !== '')
    throw new TargetError(`expected a base URL or an invite link, got path ${url.pathname}`);
  return { kind: 'base', ...base };
}

/** The link without its secret: `…/r/<roomId>#…` or `…/#r/<roomId>/…`. */
export function redactLink(link: string): string {
  const hash = link.indexOf('#');
  if (hash < 0) return link;
  const fragment = link.slice(hash + 1);
  if (fragment.startsWith('r/')) {
    const roomId = fragment.slice(2).split('/')[0] ?? '';
    return `${link.slice(0, hash)}#r/${roomId}/…`;
  }
  return `${link.slice(0, hash)}#…`;
}

/** The room id of an invite link the app made (either form). */
export function roomIdOf(link: string): string | null {
  try {
    const t = parseTarget(link);
    return t.kind === 'invite' ? t.roomId : null;
  } catch {
    return null;
  }
}

/** Loopback hosts may take any load: it is the operator's own machine. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (isIP(hostname) === 4) return hostname.startsWith('127.');
  if (isIP(hostname) === 6) return hostname === '::1';
  return false;
}
