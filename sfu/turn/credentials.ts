/**
 * Short-lived TURN credentials by the "TURN REST API" scheme that coturn implements with
 * `use-auth-secret` (draft-uberti-behave-turn-rest-00 §2.2): the SFU and the TURN server share a
 * secret, and for each joining peer the SFU makes
 *
 *   username   = "<expiry>:<peerId>"      expiry: Unix time in seconds when it stops working
 *   credential = base64(HMAC-SHA1(secret, username))
 *
 * coturn recomputes the HMAC from the username and refuses it after `expiry`, so nothing is
 * stored on either side and a leaked credential dies by itself. The secret never leaves the
 * server; the peer id in the username is the random id the SFU gave this join (no name, no
 * identity). HMAC-SHA1 is what coturn checks; it is used here as a MAC, not as a hash.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../../shared/protocol/index.js';
import type { TurnConfig } from '../config.js';

/** Unix time in seconds; injectable so tests can issue already-expired credentials. */
export type Clock = () => number;

const systemClock: Clock = () => Math.floor(Date.now() / 1000);

export function turnCredential(
  secret: Uint8Array,
  peerId: string,
  expiry: number,
): { username: string; credential: string } {
  const username = `${expiry}:${peerId}`;
  const credential = createHmac('sha1', secret).update(username, 'utf8').digest('base64');
  return { username, credential };
}

/** The `iceServers` entry a joining peer gets, or none without TURN configured. */
export function iceServersFor(
  turn: TurnConfig | null,
  peerId: string,
  clock: Clock = systemClock,
): IceServer[] {
  if (!turn) return [];
  const { username, credential } = turnCredential(turn.secret, peerId, clock() + turn.ttlSeconds);
  return [{ urls: [...turn.urls], username, credential }];
}
