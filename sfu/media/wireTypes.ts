/**
 * mediasoup's RTP objects, typed as the signalling protocol carries them to mediasoup-client.
 *
 * Both libraries describe the same JSON, but mediasoup 3.27's `RtpHeaderExtensionUri` lists one
 * URI (`urn:ietf:params:rtp-hdrext:toffset`) that mediasoup-client 3.24's does not. That is only
 * a typing gap: mediasoup-client matches header extensions by URI and leaves out the ones the
 * browser does not offer, so an extra one in the router's capabilities is harmless. These two
 * functions are the one place where the server's types become the protocol's.
 */
import type { types } from 'mediasoup';
import type { RtpCapabilities, RtpParameters } from 'mediasoup-client/types';

export function capabilitiesForClient(caps: types.RtpCapabilities): RtpCapabilities {
  return caps as unknown as RtpCapabilities;
}

export function parametersForClient(params: types.RtpParameters): RtpParameters {
  return params as unknown as RtpParameters;
}
