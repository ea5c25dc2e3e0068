/**
 * Signalling connections per client address: a connection beyond `max` from one address is
 * refused at the socket.io handshake with TOO_MANY_CONNECTIONS. Behind a reverse proxy every
 * connection comes from the proxy, so with `trustProxy` the address is the last X-Forwarded-For
 * hop: the one the proxy itself appended (earlier hops are whatever the client claimed).
 */
import type { Socket } from 'socket.io';
import type { ProtocolErrorBody } from '../../shared/protocol/index.js';

export class AddressLimit {
  private readonly counts = new Map<string, number>();

  constructor(
    /** 0: no limit. */
    private readonly max: number,
    private readonly trustProxy: boolean,
  ) {}

  /** Open connections from `address`. */
  count(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  /** Counts the socket until it disconnects; returns the refusal instead when over the limit. */
  admit(socket: Socket): ProtocolErrorBody | null {
    const address = this.addressOf(socket);
    const n = this.count(address);
    if (this.max > 0 && n >= this.max) {
      return {
        code: 'TOO_MANY_CONNECTIONS',
        message: `at most ${this.max} connections per client address`,
      };
    }
    this.counts.set(address, n + 1);
    socket.once('disconnect', () => {
      const left = this.count(address) - 1;
      if (left <= 0) this.counts.delete(address);
      else this.counts.set(address, left);
    });
    return null;
  }

  private addressOf(socket: Socket): string {
    if (this.trustProxy) {
      const header = socket.handshake.headers['x-forwarded-for'];
      const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
      const last = list[list.length - 1]?.trim();
      if (last) return last;
    }
    return socket.handshake.address;
  }
}
