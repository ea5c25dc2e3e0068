/**
 * Media through the real SFU: RTP injected into a PlainTransport arrives byte-identical (payload)
 * at a consumer on another transport, and a WebRtcTransport created over signalling completes
 * ICE + DTLS with a real WebRTC peer (werift), which exercises the patched DTLS path of the
 * worker built from source (a regression there kills the worker on the first DTLS record).
 */
import dgram from 'node:dgram';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import type { Sfu } from '../../sfu/Sfu.js';
import {
  consumeToSocket,
  joinRoom,
  plainOpusProducer,
  startSfu,
  TestClient,
  until,
} from './harness/sfu.js';
import { isRtcp, rtpPacket, rtpPayload } from './harness/rtp.js';

let sfu: Sfu;
beforeEach(async () => {
  sfu = await startSfu();
});
afterEach(async () => {
  await sfu.close();
});

it('forwards RTP from a producer to a consumer with byte-identical payloads', async () => {
  const room = await sfu.registry.getOrCreate('rtp');
  const ssrc = 0x1234_5678;
  const { ingress, producer } = await plainOpusProducer(room.router, ssrc);

  const receiver = dgram.createSocket('udp4');
  await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', r));
  const received: Buffer[] = [];
  // The consumer's transport also sends RTCP (sender reports, SDES) on the same port (rtcp-mux);
  // keep only RTP, told apart by payload type as RFC 5761 section 4 does.
  receiver.on('message', (m) => {
    if (!isRtcp(m)) received.push(m);
  });
  const consumer = await consumeToSocket(room.router, producer.id, receiver);

  const sender = dgram.createSocket('udp4');
  const payloads = Array.from({ length: 50 }, (_, i) => {
    const p = new Uint8Array(40 + i);
    for (let j = 0; j < p.length; j++) p[j] = (i * 31 + j * 7) & 0xff;
    return p;
  });
  for (let i = 0; i < payloads.length; i++) {
    sender.send(
      rtpPacket(1000 + i, ssrc, payloads[i]!, { timestamp: 960 * i }),
      ingress.tuple.localPort,
      '127.0.0.1',
    );
    await new Promise((r) => setTimeout(r, 5));
  }
  await until(() => received.length >= payloads.length, 5000, 'forwarded packets');

  const out = received.map(rtpPayload);
  expect(out.map((b) => Buffer.from(b).toString('hex'))).toEqual(
    payloads.map((p) => Buffer.from(p).toString('hex')),
  );
  // The SFU rewrote the SSRC to the consumer's, as it should.
  expect(received[0]!.readUInt32BE(8)).toBe(consumer.rtpParameters.encodings![0]!.ssrc);
  sender.close();
  receiver.close();
});

it('completes ICE and DTLS between a signalled WebRtcTransport and a real WebRTC peer', async () => {
  const client = await TestClient.connect(sfu);
  await joinRoom(sfu, client, 'dtls');
  const params = await client.ok('createTransport', { direction: 'send' });

  const pc = new RTCPeerConnection({});
  pc.createDataChannel('probe');
  await pc.setLocalDescription(await pc.createOffer());
  const offer = pc.localDescription!.sdp;
  const fingerprint = /a=fingerprint:sha-256 (\S+)/.exec(offer)![1]!;
  const mid = /a=mid:(\S+)/.exec(offer)![1]!;
  await client.ok('connectTransport', {
    transportId: params.transportId,
    dtlsParameters: {
      role: 'client',
      fingerprints: [{ algorithm: 'sha-256', value: fingerprint }],
    },
  });

  const serverFp = params.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256')!.value;
  const candidates = params.iceCandidates
    .filter((c) => c.protocol === 'udp')
    .map((c) => `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.address} ${c.port} typ host`);
  const answer = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mid}`,
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 127.0.0.1',
    `a=mid:${mid}`,
    `a=ice-ufrag:${params.iceParameters.usernameFragment}`,
    `a=ice-pwd:${params.iceParameters.password}`,
    `a=fingerprint:sha-256 ${serverFp}`,
    'a=setup:passive',
    'a=sctp-port:5000',
    ...candidates,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });

  const transport = sfu.registry.rooms
    .get('dtls')!
    .peers.values()
    .next()
    .value!.transports.get(params.transportId)!;
  await until(() => transport.dtlsState === 'connected', 20_000, 'DTLS connected on the SFU');
  expect(['connected', 'completed']).toContain(transport.iceState);
  expect(transport.iceSelectedTuple?.protocol).toBe('udp');
  // The worker survived the DTLS handshake (the kTLS bug would have killed it).
  expect(sfu.pool.workers[0]!.worker.closed).toBe(false);
  const stats = await transport.getStats();
  expect(stats[0]!.dtlsState).toBe('connected');
  await pc.close();
  client.close();
});
