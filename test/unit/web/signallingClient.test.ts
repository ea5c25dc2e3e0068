// The client's signalling connection against a scripted in-process socket.io server: typed
// requests with timeouts, every response and notification checked against the shared schemas,
// protocol errors surfaced by code, and an unreachable server reported as such.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignallingClient, SignallingError } from '../../../web/call/SignallingClient.js';

let httpServer: http.Server;
let io: Server;
let url: string;
let client: SignallingClient;
/** How the scripted server answers each event. */
let answer: (event: string, msg: unknown) => unknown;
let serverSocket: Promise<Socket>;

beforeEach(async () => {
  httpServer = http.createServer();
  io = new Server(httpServer);
  serverSocket = new Promise((resolve) => {
    io.on('connection', (socket) => {
      socket.onAny((event: string, msg: unknown, ack?: (r: unknown) => void) => {
        const reply = answer(event, msg);
        if (reply !== undefined) ack?.(reply);
      });
      resolve(socket);
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  answer = () => ({ ok: true, data: {} });
  client = new SignallingClient(url);
});

afterEach(async () => {
  client.close();
  await new Promise<void>((resolve) => void io.close(() => resolve()));
});

const CAPS = { codecs: [], headerExtensions: [] };

describe('SignallingClient', () => {
  it('sends typed requests and returns validated responses', async () => {
    const seen: unknown[] = [];
    answer = (event, msg) => {
      seen.push({ event, msg });
      return {
        ok: true,
        data: { peerId: 'p1', peers: [{ peerId: 'p2' }], producers: [], maxPeers: 10 },
      };
    };
    await client.connect();
    const res = await client.request('join', { roomId: 'room', rtpCapabilities: CAPS });
    expect(res).toEqual({ peerId: 'p1', peers: [{ peerId: 'p2' }], producers: [], maxPeers: 10 });
    expect(seen).toEqual([{ event: 'join', msg: { roomId: 'room', rtpCapabilities: CAPS } }]);
  });

  it('refuses a response that does not match its schema', async () => {
    answer = () => ({
      ok: true,
      data: { peerId: 'bad id!', peers: [], producers: [], maxPeers: 10 },
    });
    await client.connect();
    await expect(
      client.request('join', { roomId: 'room', rtpCapabilities: CAPS }),
    ).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    answer = () => ({ ok: true, data: { extra: 1 } });
    await expect(client.request('leave', {})).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    answer = () => 'not an ack';
    await expect(client.request('leave', {})).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('surfaces protocol errors by their stable code', async () => {
    answer = () => ({
      ok: false,
      error: { code: 'ROOM_FULL', message: 'room is full (2 participants)' },
    });
    await client.connect();
    const err: unknown = await client
      .request('join', { roomId: 'r', rtpCapabilities: CAPS })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignallingError);
    expect(err).toMatchObject({ code: 'ROOM_FULL', message: 'room is full (2 participants)' });
  });

  it('retries a request refused for rate until it passes, and nothing else', async () => {
    const attempts = new Map<string, number>();
    answer = (event) => {
      const n = (attempts.get(event) ?? 0) + 1;
      attempts.set(event, n);
      if (event === 'leave' && n <= 3)
        return { ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } };
      if (event === 'mlsSend' && n === 1)
        return { ok: false, error: { code: 'RELAY_LIMITED', message: 'budget spent' } };
      if (event === 'restartIce')
        return { ok: false, error: { code: 'NOT_FOUND', message: 'no transport' } };
      return { ok: true, data: {} };
    };
    await client.connect();
    await expect(client.request('leave', {})).resolves.toEqual({});
    expect(attempts.get('leave')).toBe(4);
    await expect(client.request('mlsSend', { envelope: new Uint8Array([1]) })).resolves.toEqual({});
    expect(attempts.get('mlsSend')).toBe(2);
    await expect(client.request('restartIce', { transportId: 't1' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(attempts.get('restartIce')).toBe(1);
  });

  it('times out a request the server never answers', async () => {
    answer = () => undefined;
    await client.connect();
    await expect(client.request('leave', {}, 200)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('delivers valid notifications and drops invalid ones', async () => {
    const got: unknown[] = [];
    client.onNotification('peerJoined', (m) => got.push(m));
    client.onNotification('mlsMessage', (m) => got.push(m));
    await client.connect();
    const socket = await serverSocket;
    socket.emit('peerJoined', { peerId: 'not valid!' });
    socket.emit('peerJoined', { peerId: 'p2', extra: true });
    socket.emit('mlsMessage', { from: 'p2', envelope: 'a string is not bytes' });
    socket.emit('peerJoined', { peerId: 'p3' });
    socket.emit('mlsMessage', { from: 'p3', envelope: Buffer.from([1, 2, 3]) });
    await expect.poll(() => got.length).toBe(2);
    expect(got[0]).toEqual({ peerId: 'p3' });
    expect(got[1]).toMatchObject({ from: 'p3' });
    expect([...(got[1] as { envelope: Uint8Array }).envelope]).toEqual([1, 2, 3]);
  });

  it('reports an unreachable server', async () => {
    const dead = new SignallingClient('http://127.0.0.1:9');
    try {
      await expect(dead.connect(500)).rejects.toMatchObject({ code: 'UNREACHABLE' });
    } finally {
      dead.close();
    }
  });

  it('refuses requests while disconnected and after close()', async () => {
    await expect(client.request('leave', {})).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await client.connect();
    client.close();
    await expect(client.request('leave', {})).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
