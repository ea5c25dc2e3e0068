/**
 * One small function per signalling request. Each receives an already validated request and the
 * caller's session, and returns the response data or throws a ProtocolError. A handler changes
 * state only after every check has passed, so a refused request leaves nothing half-made.
 */
import { randomBytes } from 'node:crypto';
import type { RequestName, RequestOf, ResponseOf } from '../../shared/protocol/index.js';
import { ProtocolError } from '../../shared/protocol/index.js';
import { capabilitiesForClient } from '../media/wireTypes.js';
import { iceServersFor } from '../turn/credentials.js';
import type { Session } from './Session.js';

export type Handler<K extends RequestName> = (
  session: Session,
  request: RequestOf<K>,
) => Promise<ResponseOf<K>> | ResponseOf<K>;

/** 12 base64url characters (72 random bits): unguessable, and safe in the id pattern. */
function newPeerId(): string {
  return randomBytes(9).toString('base64url');
}

export const handlers: { [K in RequestName]: Handler<K> } = {
  getRouterRtpCapabilities: (session) => ({
    routerRtpCapabilities: capabilitiesForClient(session.routerRtpCapabilities),
  }),

  join: async (session, { roomId, rtpCapabilities }) => {
    session.beginJoin();
    try {
      if (!Array.isArray((rtpCapabilities as { codecs?: unknown }).codecs)) {
        throw new ProtocolError('BAD_REQUEST', '$.rtpCapabilities.codecs: expected an array');
      }
      const room = await session.registry.getOrCreate(roomId);
      const peerId = newPeerId();
      const notify = session.faults?.notifyFor(roomId, peerId, session.notify) ?? session.notify;
      const peer = await room.join(
        peerId,
        rtpCapabilities,
        notify,
        session.log.child({ roomId, peerId }),
        () => session.open,
      );
      session.attach(room, peer);
      session.faults?.joined(room, peerId);
      const iceServers = iceServersFor(session.turn, peerId);
      return {
        peerId,
        peers: [...room.peers.keys()].filter((id) => id !== peerId).map((id) => ({ peerId: id })),
        producers: room.existingProducers(peer),
        maxPeers: room.maxPeers,
        // Absent without TURN, so such a join response is exactly what it was before TURN.
        ...(iceServers.length > 0 ? { iceServers } : {}),
      };
    } finally {
      session.endJoin();
    }
  },

  leave: (session) => {
    session.leave();
    return {};
  },

  createTransport: async (session, { direction }) => {
    const { room, peer } = session.joined();
    return room.createTransport(peer, direction);
  },

  connectTransport: async (session, { transportId, dtlsParameters }) => {
    const { peer } = session.joined();
    const transport = peer.transport(transportId);
    const release = peer.claimConnect(transportId);
    try {
      await transport.connect({ dtlsParameters: dtlsParameters });
    } catch (err) {
      release();
      throw err;
    }
    return {};
  },

  restartIce: async (session, { transportId }) => {
    const transport = session.joined().peer.transport(transportId);
    const iceParameters = await transport.restartIce();
    return { iceParameters };
  },

  produce: async (session, request) => {
    const { room, peer } = session.joined();
    return { producerId: await room.produce(peer, request) };
  },

  closeProducer: (session, { producerId }) => {
    session.joined().peer.producer(producerId).close();
    return {};
  },

  pauseProducer: async (session, { producerId }) => {
    await session.joined().peer.producer(producerId).pause();
    return {};
  },

  resumeProducer: async (session, { producerId }) => {
    await session.joined().peer.producer(producerId).resume();
    return {};
  },

  consume: async (session, request) => {
    const { room, peer } = session.joined();
    return room.consume(peer, request);
  },

  pauseConsumer: async (session, { consumerId }) => {
    await session.joined().peer.consumer(consumerId).pause();
    return {};
  },

  resumeConsumer: async (session, { consumerId }) => {
    const { room, peer } = session.joined();
    const consumer = peer.consumer(consumerId);
    if (session.faults?.withholds(room.id, consumer)) return {};
    await consumer.resume();
    return {};
  },

  setConsumerLayers: async (session, { consumerId, spatialLayer, temporalLayer }) => {
    const { room, peer } = session.joined();
    await room.setConsumerLayers(
      peer,
      consumerId,
      temporalLayer === undefined ? { spatialLayer } : { spatialLayer, temporalLayer },
    );
    return {};
  },

  requestKeyFrame: async (session, { consumerId }) => {
    const consumer = session.joined().peer.consumer(consumerId);
    if (consumer.kind !== 'video') throw new ProtocolError('INVALID_STATE', 'not a video consumer');
    await consumer.requestKeyFrame();
    return {};
  },

  reportDecryptFailures: (session, { counts }) => {
    // Only a joined peer has frames to fail on; the report carries nothing but reasons and counts.
    session.joined();
    session.metrics.decryptFailures(counts);
    return {};
  },

  mlsGroupInfo: (session) => {
    const { room, peer } = session.joined();
    return session.mls.groupInfo(room.id, peer);
  },

  mlsCommitsSince: async (session, { epoch }) => {
    const { room, peer } = session.joined();
    const res = await session.mls.commitsSince(room.id, peer, epoch);
    // The log is relayed bytes too: a peer asking again and again spends its relay budget.
    session.chargeRelay(res.commits.reduce((n, c) => n + c.length, 0));
    return res;
  },

  mlsCreateGroup: (session, { roomPublicKey, groupInfo }) => {
    const { room, peer } = session.joined();
    return session.mls.createGroup(room.id, peer, roomPublicKey, groupInfo);
  },

  mlsCommit: (session, request) => {
    const { room, peer } = session.joined();
    const bytes = request.commit.length + (request.welcome?.length ?? 0);
    session.chargeRelay(bytes * (room.peers.size - 1));
    return session.mls.commit(room.id, peer, room.peers.values(), request);
  },

  mlsPublishGroupInfo: async (session, { epoch, groupInfo }) => {
    await session.mls.publishGroupInfo(session.joined().room.id, epoch, groupInfo);
    return {};
  },

  mlsSend: async (session, { envelope }) => {
    const { room, peer } = session.joined();
    session.chargeRelay(envelope.length * (room.peers.size - 1));
    await session.mls.send(room.id, peer, room.peers.values(), envelope);
    return {};
  },

  mlsReady: async (session, { epoch }) => {
    const { room, peer } = session.joined();
    await session.mls.ready(room.id, peer, room.peers.values(), epoch);
    return {};
  },
};
