// Receiving fits what is on screen: each camera consumer asks the SFU for the simulcast layer that
// matches its tile's size, and the video of tiles nobody can see is paused at the SFU.
import type { Page } from 'playwright-core';
import type { types } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { layerForHeight } from '../../web/call/encodings.js';
import { useCallFixture } from './harness/callFixture.js';
import { createRoomLink, joinCall, mediaStats, waitForCall } from '../../calltest/app.js';

const env = useCallFixture();

/** The server-side camera consumer that delivers video to `peerId`. */
function cameraConsumerOf(peerId: string): types.Consumer {
  for (const room of env.sfu.sfu.registry.rooms.values()) {
    const peer = room.peers.get(peerId);
    const consumer = [...(peer?.consumers.values() ?? [])].find((c) => c.kind === 'video');
    if (consumer) return consumer;
  }
  throw new Error(`no video consumer for ${peerId}`);
}

/** Device pixels of the remote tile's height, as the tile itself measures it. */
function remoteTilePixels(page: Page): Promise<number> {
  return page
    .locator('[data-test=tile]:not([data-self])')
    .first()
    .evaluate((el) => Math.round(el.getBoundingClientRect().height * devicePixelRatio));
}

describe('simulcast layers and hidden tiles', () => {
  it('asks for the layer that fits each tile, encodes a key frame when the SFU asks, and pauses video while the grid is hidden', async () => {
    const desktop = await env.openPage({ viewport: { width: 1280, height: 800 } });
    const phone = await env.openPage({ viewport: { width: 390, height: 844 } });
    const link = await createRoomLink(desktop.page, env.sfu.url);
    await joinCall(desktop.page, link, 'Desk');
    await joinCall(phone.page, link, 'Phone');
    const [d, p] = await Promise.all([waitForCall(desktop.page, 1), waitForCall(phone.page, 1)]);

    for (const [page, diag] of [
      [desktop.page, d],
      [phone.page, p],
    ] as const) {
      const expected = layerForHeight(await remoteTilePixels(page));
      await expect
        .poll(() => cameraConsumerOf(diag.selfPeerId!).preferredLayers?.spatialLayer, {
          timeout: 10_000,
        })
        .toBe(expected);
    }
    expect(layerForHeight(await remoteTilePixels(phone.page))).toBeLessThan(
      layerForHeight(await remoteTilePixels(desktop.page)),
    );

    // The SFU's keyFrameNeeded hint (sent when a sender's top layer stops) makes the sender encode
    // a key frame of the named layer at once: the phone, on that layer, decodes one more.
    const phoneLayer = layerForHeight(await remoteTilePixels(phone.page));
    const keyFramesAtPhone = async (): Promise<number> =>
      (await mediaStats(phone.page)).find((f) => f.peerId === d.selfPeerId && f.kind === 'video')
        ?.keyFramesDecoded ?? 0;
    await expect.poll(keyFramesAtPhone, { timeout: 10_000 }).toBeGreaterThan(0);
    await phone.page.waitForTimeout(1500); // no key frame request is in flight any more
    const before = await keyFramesAtPhone();
    const deskPeer = [...env.sfu.sfu.registry.rooms.values()]
      .map((r) => r.peers.get(d.selfPeerId!))
      .find((peer) => peer !== undefined)!;
    const camera = [...deskPeer.producers.values()].find((pr) => pr.kind === 'video')!;
    deskPeer.notify('keyFrameNeeded', { producerId: camera.id, spatialLayer: phoneLayer });
    await expect.poll(keyFramesAtPhone, { timeout: 10_000 }).toBeGreaterThan(before);

    // At phone width a side panel covers the screen: the grid is hidden and its video paused.
    const consumer = cameraConsumerOf(p.selfPeerId!);
    expect(consumer.paused).toBe(false);
    await phone.page.locator('[data-test=control-chat]').click();
    await expect.poll(() => consumer.paused, { timeout: 10_000 }).toBe(true);
    await phone.page.locator('[data-test=control-chat]').click();
    await expect.poll(() => consumer.paused, { timeout: 10_000 }).toBe(false);
    // Audio is never paused for visibility.
    const audio = [...env.sfu.sfu.registry.rooms.values()]
      .flatMap((r) => [...(r.peers.get(p.selfPeerId!)?.consumers.values() ?? [])])
      .find((c) => c.kind === 'audio');
    expect(audio?.paused).toBe(false);
  });
});
