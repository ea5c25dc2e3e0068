// The TURN REST credential scheme (sfu/turn/credentials.ts) and TURN settings in the config.
// The known answers were computed independently of this code, with OpenSSL:
//   printf '%s' '1767225600:AbCdEfGhIjKl' | openssl dgst -sha1 -hmac 'blindcall-turn-secret-0123' -binary | base64
//   printf '%s' '1700000000:peer_-1' | openssl dgst -sha1 -hmac 'north-lighthouse-seventeen' -binary | base64
import { describe, expect, it } from 'vitest';
import { requests, validate } from '../../../shared/protocol/index.js';
import { ConfigError, loadConfig } from '../../../sfu/config.js';
import { iceServersFor, turnCredential } from '../../../sfu/turn/credentials.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('TURN credentials', () => {
  it('match HMAC-SHA1 known answers computed with openssl', () => {
    expect(turnCredential(enc('blindcall-turn-secret-0123'), 'AbCdEfGhIjKl', 1767225600)).toEqual({
      username: '1767225600:AbCdEfGhIjKl',
      credential: 'Dcx82waDtHZDIWByTF5TJad36o0=',
    });
    expect(turnCredential(enc('north-lighthouse-seventeen'), 'peer_-1', 1700000000)).toEqual({
      username: '1700000000:peer_-1',
      credential: 'D1WcjsbuOgKNFX+yauTEm7e8+U4=',
    });
  });

  it('differ with the secret, the peer and the expiry', () => {
    const base = turnCredential(enc('blindcall-turn-secret-0123'), 'AbCdEfGhIjKl', 1767225600);
    const others = [
      turnCredential(enc('blindcall-turn-secret-0124'), 'AbCdEfGhIjKl', 1767225600),
      turnCredential(enc('blindcall-turn-secret-0123'), 'AbCdEfGhIjKm', 1767225600),
      turnCredential(enc('blindcall-turn-secret-0123'), 'AbCdEfGhIjKl', 1767225601),
    ];
    for (const o of others) expect(o.credential).not.toBe(base.credential);
  });

  it('expire TURN_CREDENTIAL_TTL seconds from now, and fit the join response schema', () => {
    const turn = loadConfig({
      TURN_URLS:
        'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:443?transport=tcp',
      TURN_SECRET: 'blindcall-turn-secret-0123',
      TURN_CREDENTIAL_TTL: '600',
    }).turn;
    const servers = iceServersFor(turn, 'AbCdEfGhIjKl', () => 1767225000);
    expect(servers).toEqual([
      {
        urls: [
          'turn:turn.example.org:3478?transport=udp',
          'turns:turn.example.org:443?transport=tcp',
        ],
        username: '1767225600:AbCdEfGhIjKl',
        credential: 'Dcx82waDtHZDIWByTF5TJad36o0=',
      },
    ]);
    const join = { peerId: 'AbCdEfGhIjKl', peers: [], producers: [], maxPeers: 50 };
    expect(validate(requests.join.response, { ...join, iceServers: servers }).ok).toBe(true);
    // No TURN: no iceServers at all, and the response is what it was before TURN existed.
    expect(iceServersFor(loadConfig({}).turn, 'AbCdEfGhIjKl')).toEqual([]);
    expect(validate(requests.join.response, join).ok).toBe(true);
    // The client refuses anything but turn:/turns: URLs from the server.
    const stun = [{ ...servers[0]!, urls: ['stun:evil.example:3478'] }];
    expect(validate(requests.join.response, { ...join, iceServers: stun }).ok).toBe(false);
  });

  it('refuses half or malformed TURN settings with the variable named', () => {
    const secret = 'blindcall-turn-secret-0123';
    const bad: [Record<string, string>, string][] = [
      [{ TURN_URLS: 'turn:a.example:3478' }, 'TURN_SECRET'],
      [{ TURN_SECRET: secret }, 'TURN_URLS'],
      [{ TURN_URLS: 'stun:a.example:3478', TURN_SECRET: secret }, 'TURN_URLS'],
      [{ TURN_URLS: 'turn:a.example:3478?transport=sctp', TURN_SECRET: secret }, 'TURN_URLS'],
      [{ TURN_URLS: 'turn:a.example:3478', TURN_SECRET: 'short' }, 'TURN_SECRET'],
      [
        { TURN_URLS: 'turn:a.example', TURN_SECRET: secret, TURN_CREDENTIAL_TTL: '5' },
        'TURN_CREDENTIAL_TTL',
      ],
      [{ METRICS_PORT: 'x' }, 'METRICS_PORT'],
      [{ METRICS_TOKEN: 'has spaces in it, sixteen+' }, 'METRICS_TOKEN'],
      [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    ];
    for (const [env, variable] of bad) {
      let caught: unknown;
      try {
        loadConfig(env);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).variable).toBe(variable);
      // The secret or token itself never appears in the message.
      expect((caught as ConfigError).message).not.toContain(secret);
    }
  });
});
