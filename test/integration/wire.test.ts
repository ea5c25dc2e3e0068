/**
 * Hostile socket.io packets written straight to the wire (found by the signalling fuzz): an event
 * name that is not a string made the session's dispatch throw outside any handler — an unhandled
 * rejection, which ends a Node process by default. It must be refused like any unknown event.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { startSfu, TestClient } from './harness/sfu.js';

let sfu: Sfu;
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => void rejections.push(reason);
beforeEach(async () => {
  sfu = await startSfu();
  process.on('unhandledRejection', onRejection);
});
afterEach(async () => {
  process.off('unhandledRejection', onRejection);
  rejections.length = 0;
  await sfu.close();
});

/** Writes a socket.io packet and resolves with the acknowledgement the server sends for `id`. */
function rawAck(c: TestClient, id: number, packet: string): Promise<unknown> {
  const engine = c.socket.io.engine;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack ${id}`)), 2000);
    const onPacket = (p: { type: string; data?: unknown }): void => {
      const m = typeof p.data === 'string' ? /^3(\d+)(\[.*)$/s.exec(p.data) : null;
      if (p.type !== 'message' || !m || Number(m[1]) !== id) return;
      clearTimeout(timer);
      engine.off('packet', onPacket);
      resolve((JSON.parse(m[2]!) as unknown[])[0]);
    };
    engine.on('packet', onPacket);
    engine.write(packet);
  });
}

it.each([
  ['a number', '2901[123,{}]', true],
  ['null', '2902[null,{}]', false],
  ['an object', '2903[{"toString":1},{}]', false],
  ['an array', '2904[["join"],{}]', false],
] as const)(
  'an event name that is %s is UNKNOWN_EVENT, and the server stays up',
  async (_what, packet, reaches) => {
    const c = await TestClient.connect(sfu);
    const id = Number(packet.slice(1, 4));
    const ack = await rawAck(c, id, packet).catch(() => null);
    // socket.io's parser drops the connection for null, objects and arrays itself; a number
    // reaches the session and is answered.
    if (reaches) expect(ack).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(rejections).toEqual([]);
    // socket.io closes a connection whose packet it cannot parse; a fresh one is served.
    const d = c.socket.connected ? c : await TestClient.connect(sfu);
    expect((await d.request('getRouterRtpCapabilities', {})).ok).toBe(true);
    c.close();
    d.close();
  },
);
