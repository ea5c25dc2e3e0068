/**
 * TURN against a real coturn started on free loopback ports (harness/coturn.ts): the credentials
 * an SFU hands out in `join` open an allocation, and relayed data reaches the SFU's address;
 * expired credentials, credentials made with another secret, and a peer outside the one allowed
 * loopback address are refused. The TURN client is werift's (an independent implementation).
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createTurnClient, type TurnProtocol } from 'werift';
import type { Sfu } from '../../sfu/Sfu.js';
import { turnCredential } from '../../sfu/turn/credentials.js';
import { startCoturn, type Coturn } from './harness/coturn.js';
import { joinRoom, startSfu, TestClient } from './harness/sfu.js';

let coturn: Coturn | undefined;
let sfu: Sfu | undefined;
const clients: TurnProtocol[] = [];
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const s of sockets.splice(0)) s.close();
  await sfu?.close();
  sfu = undefined;
  await coturn?.close();
  coturn = undefined;
});

function allocate(username: string, password: string): Promise<TurnProtocol> {
  return createTurnClient(
    { address: ['127.0.0.1', coturn!.port], username, password },
    { transport: 'udp', lifetime: 600 },
  ).then((c) => {
    clients.push(c);
    return c;
  });
}

/**
 * How an allocation attempt ended: 'ok', or werift's error. coturn answers a request whose
 * credentials it refuses with 401 and logs "Cannot find credentials of user <name>"; werift then
 * retries until its transaction times out.
 */
async function attempt(username: string, password: string): Promise<string> {
  const tried = allocate(username, password).then(
    () => 'ok',
    (err: unknown) => String((err as { str?: string }).str ?? err),
  );
  const gaveUp = new Promise<string>((r) => setTimeout(() => r('no answer'), 30_000));
  return Promise.race([tried, gaveUp]);
}

async function joinedCredentials(): Promise<{
  peerId: string;
  username: string;
  credential: string;
}> {
  coturn = await startCoturn();
  sfu = await startSfu({
    TURN_URLS: coturn.urls.join(','),
    TURN_SECRET: coturn.secret,
    TURN_CREDENTIAL_TTL: '600',
  });
  const client = await TestClient.connect(sfu);
  const joined = await joinRoom(sfu, client, 'turn');
  client.close();
  expect(joined.iceServers).toHaveLength(1);
  const server = joined.iceServers![0]!;
  expect(server.urls).toEqual(coturn.urls);
  const [expiry, peer] = server.username.split(':');
  expect(peer).toBe(joined.peerId);
  const now = Date.now() / 1000;
  expect(Number(expiry)).toBeGreaterThan(now + 590);
  expect(Number(expiry)).toBeLessThan(now + 610);
  return { peerId: joined.peerId, username: server.username, credential: server.credential };
}

describe('TURN (real coturn)', () => {
  it('accepts the credentials the SFU issues and relays to the allowed loopback peer', async () => {
    const { username, credential } = await joinedCredentials();
    const turn = await allocate(username, credential);
    expect(turn.relayedAddress[0]).toBe('127.0.0.1');

    // Relayed data reaches a socket on 127.0.0.1, where the SFU listens, from the relay address.
    const sink = dgram.createSocket('udp4');
    sockets.push(sink);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const got = new Promise<{ data: Buffer; from: number }>((resolve) =>
      sink.once('message', (data, rinfo) => resolve({ data, from: rinfo.port })),
    );
    await turn.sendData(Buffer.from('through the relay'), ['127.0.0.1', sink.address().port]);
    const { data, from } = await got;
    expect(data.toString()).toBe('through the relay');
    expect(from).toBe(turn.relayedAddress[1]);
  });

  it('refuses expired credentials and credentials made with another secret', async () => {
    const { peerId } = await joinedCredentials();
    const secret = new TextEncoder().encode(coturn!.secret);
    const now = Math.floor(Date.now() / 1000);
    const expired = turnCredential(secret, peerId, now - 5);
    expect(await attempt(expired.username, expired.credential)).not.toBe('ok');
    expect(coturn!.log()).toContain(`Cannot find credentials of user <${expired.username}>`);
    const forged = turnCredential(
      new TextEncoder().encode('another-secret-0123456789'),
      peerId,
      now + 600,
    );
    expect(await attempt(forged.username, forged.credential)).not.toBe('ok');
    expect(coturn!.log()).toContain(`Cannot find credentials of user <${forged.username}>`);
    // The control: the same code with the right secret and a future expiry is accepted.
    const good = turnCredential(secret, peerId, now + 600);
    expect(await attempt(good.username, good.credential)).toBe('ok');
  });

  it('refuses to relay to loopback addresses other than the allowed one', async () => {
    const { username, credential } = await joinedCredentials();
    const turn = await allocate(username, credential);
    // CreatePermission for 127.0.0.2 gets 403 (Forbidden): denied-peer-ip 127.0.0.0/8 holds.
    await expect(turn.getPermission(['127.0.0.2', 40000])).rejects.toBeDefined();
    await expect(turn.getPermission(['127.0.0.1', 40000])).resolves.toBeUndefined();
  });
});
