/**
 * What the client's audio capabilities leave out, against a real router: mediasoup offers the
 * audio-level header extension and Opus without CBR, so the browser's rewrite
 * (web/call/audioPrivacy.ts) is what keeps levels and speech-shaped packet sizes off the wire; the
 * SFU's own capabilities leave the extension out too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { capabilitiesForClient } from '../../sfu/media/wireTypes.js';
import type { Sfu } from '../../sfu/Sfu.js';
import { AUDIO_LEVEL_URI, privateAudioCapabilities } from '../../web/call/audioPrivacy.js';
import { startSfu, TestClient } from './harness/sfu.js';

let sfu: Sfu | undefined;
afterEach(async () => {
  await sfu?.close();
  sfu = undefined;
});

describe('audio capabilities', () => {
  it('a real router offers audio levels; the client removes them and asks for CBR without DTX', async () => {
    sfu = await startSfu();
    const router = await sfu.pool.leastLoaded().worker.createRouter({
      mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
    });
    const raw = router.rtpCapabilities;
    router.close();
    expect(raw.headerExtensions?.map((e) => e.uri)).toContain(AUDIO_LEVEL_URI);

    const caps = privateAudioCapabilities(capabilitiesForClient(raw));
    expect(caps.headerExtensions?.map((e) => e.uri)).not.toContain(AUDIO_LEVEL_URI);
    expect(caps.headerExtensions?.length).toBe((raw.headerExtensions?.length ?? 0) - 1);
    const opus = caps.codecs?.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
    expect(opus?.parameters).toMatchObject({ cbr: 1, usedtx: 0 });
  });

  it('the SFU gives clients capabilities without the audio-level extension', async () => {
    sfu = await startSfu();
    const c = await TestClient.connect(sfu);
    const { routerRtpCapabilities } = await c.ok('getRouterRtpCapabilities', {});
    expect(routerRtpCapabilities.headerExtensions?.map((e) => e.uri)).not.toContain(
      AUDIO_LEVEL_URI,
    );
    c.close();
  });
});
