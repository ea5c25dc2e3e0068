/**
 * The synthetic participant's pieces that need no server: its marked frames (the SFU must read a
 * VP8 key frame's header in clear, receivers must find the mark after decryption) and the SDP
 * it builds between werift and mediasoup's parameters.
 */
import { describe, expect, it } from 'vitest';
import type { RtpParameters } from 'mediasoup-client/types';
import { RTCPeerConnection } from 'werift';
import { clearBytesFor, isVp8KeyFrame, SFrameContext } from '../../../shared/sframe/index.js';
import {
  audioFrame,
  MARK_BYTES,
  readMark,
  SYNTHETIC_HEIGHT,
  SYNTHETIC_WIDTH,
  videoFrame,
} from '../../../calltest/synthetic/frames.js';
import {
  parseLocalOffer,
  producerRtpParameters,
  receiveOffer,
  sendAnswer,
  type TransportParams,
} from '../../../calltest/synthetic/sdp.js';

const mark = { label: 2, seq: 41, sentAt: 1_764_000_000_123.5 };

describe('marked frames', () => {
  it('a key frame carries a VP8 key-frame header the SFU reads in clear, then the mark', () => {
    const f = videoFrame(1000, true, mark);
    expect(f.length).toBe(1000);
    expect(isVp8KeyFrame(f)).toBe(true);
    expect(clearBytesFor('vp8', f)).toBe(10);
    expect([...f.subarray(3, 6)]).toEqual([0x9d, 0x01, 0x2a]);
    expect(f[6]! | (f[7]! << 8)).toBe(SYNTHETIC_WIDTH);
    expect(f[8]! | (f[9]! << 8)).toBe(SYNTHETIC_HEIGHT);
    expect(readMark(f, true)).toEqual(mark);
  });

  it('a delta frame keeps 3 bytes in clear; audio frames are all mark and filler', () => {
    const d = videoFrame(10, false, mark);
    expect(isVp8KeyFrame(d)).toBe(false);
    expect(clearBytesFor('vp8', d)).toBe(3);
    expect(d.length).toBe(3 + MARK_BYTES);
    expect(readMark(d, true)).toEqual(mark);
    const a = audioFrame(80, { ...mark, label: 1 });
    expect(a.length).toBe(80);
    expect(readMark(a, false)).toEqual({ ...mark, label: 1 });
  });

  it('finds no mark in a frame without one (a browser frame, a cut one)', () => {
    expect(readMark(new Uint8Array(40), false)).toBeNull();
    expect(readMark(videoFrame(100, true, mark).subarray(0, 20), true)).toBeNull();
  });

  it('survives SFrame under its source label and is refused under the other', async () => {
    const tx = new SFrameContext();
    const rx = new SFrameContext();
    const key = new Uint8Array(16).fill(7);
    await tx.setSenderKey(5, key);
    await rx.addReceiverKey(5, key, 'peer-a');
    const sealed = await tx.encrypt(videoFrame(500, true, mark), 'vp8', Uint8Array.of(2));
    // The clear prefix is still the key-frame header: the SFU can tell key frames.
    expect(isVp8KeyFrame(sealed)).toBe(true);
    const opened = await rx.decrypt(sealed, 'vp8', Uint8Array.of(2), [Uint8Array.of(3)]);
    expect(opened.owner).toBe('peer-a');
    expect(readMark(opened.plaintext, true)).toEqual(mark);
    const other = await tx.encrypt(videoFrame(500, false, mark), 'vp8', Uint8Array.of(3));
    await expect(
      rx.decrypt(other, 'vp8', Uint8Array.of(2), [Uint8Array.of(3)]),
    ).rejects.toMatchObject({ code: 'WRONG_LABEL' });
  });
});

const transport: TransportParams = {
  iceParameters: { usernameFragment: 'ufrag', password: 'pwd', iceLite: true },
  iceCandidates: [
    {
      foundation: 'udp1',
      priority: 100,
      address: '127.0.0.1',
      ip: '127.0.0.1',
      protocol: 'udp',
      port: 40000,
      type: 'host',
    },
  ],
  dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AA:BB' }] },
};

describe('SDP between werift and mediasoup', () => {
  it("turns werift's sending offer into producer parameters and answers it as the SFU", async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.addTransceiver('audio', { direction: 'sendonly' });
    pc.addTransceiver('video', { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const local = parseLocalOffer(pc.localDescription!.sdp);
    await pc.close();
    expect(local.map((s) => s.kind)).toEqual(['audio', 'video']);
    const video = producerRtpParameters(local[1]!);
    expect(video.codecs[0]!.mimeType).toBe('video/VP8');
    expect(video.encodings![0]!.ssrc).toBe(local[1]!.ssrc);
    expect(video.mid).toBe(local[1]!.mid);
    const answer = sendAnswer(transport, local);
    expect(answer).toContain('a=ice-lite');
    expect(answer).toContain('a=setup:passive');
    expect(answer).toContain('a=fingerprint:sha-256 AA:BB');
    expect(answer).toContain('a=candidate:udp1 1 udp 100 127.0.0.1 40000 typ host');
    expect(answer.match(/a=recvonly/g)).toHaveLength(2);
  });

  it('offers one section per consumer, a closed one inactive with port 0', () => {
    const consumer = (mid: string, ssrc: number): RtpParameters => ({
      mid,
      codecs: [
        { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: {} },
      ],
      headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1, encrypt: false }],
      encodings: [{ ssrc }],
      rtcp: { cname: 'c' },
    });
    const sdp = receiveOffer(transport, [
      { kind: 'audio', rtpParameters: consumer('0', 11), closed: false },
      { kind: 'audio', rtpParameters: consumer('1', 22), closed: true },
    ]);
    expect(sdp).toContain('a=group:BUNDLE 0 1');
    expect(sdp).toContain('m=audio 7 UDP/TLS/RTP/SAVPF 100');
    expect(sdp).toContain('m=audio 0 UDP/TLS/RTP/SAVPF 100');
    expect(sdp).toContain('a=inactive');
    expect(sdp).toContain('a=ssrc:11 cname:c');
    expect(sdp).toContain('a=setup:actpass');
  });
});
