/**
 * Rooms by id: created on first join (home router on the least-loaded worker), forgotten when
 * they close. Concurrent first joins of one room share a single creation. At most `maxRooms`
 * rooms exist at once, rooms being created included (SERVER_FULL beyond).
 */
import { ProtocolError } from '../../shared/protocol/index.js';
import { createLogger } from '../logger.js';
import type { WorkerPool } from '../media/WorkerPool.js';
import { TypedEmitter } from '../TypedEmitter.js';
import { Room } from './Room.js';

const log = createLogger('RoomRegistry');

type Events = { roomCreated: [room: Room] };

export class RoomRegistry extends TypedEmitter<Events> {
  readonly rooms = new Map<string, Room>();
  private readonly creating = new Map<string, Promise<Room>>();
  private closed = false;

  constructor(
    readonly pool: WorkerPool,
    private readonly maxPeersPerRoom: number,
    private readonly maxRooms: number = Number.POSITIVE_INFINITY,
  ) {
    super();
  }

  async getOrCreate(roomId: string): Promise<Room> {
    if (this.closed) throw new ProtocolError('UNAVAILABLE', 'server is shutting down');
    const existing = this.rooms.get(roomId);
    if (existing && !existing.closed) return existing;
    let pending = this.creating.get(roomId);
    if (!pending) {
      // Counted with the creations under way, so a burst of first joins cannot overshoot.
      if (this.rooms.size + this.creating.size >= this.maxRooms) {
        throw new ProtocolError(
          'SERVER_FULL',
          `this server hosts its limit of ${this.maxRooms} rooms`,
        );
      }
      pending = this.create(roomId).finally(() => this.creating.delete(roomId));
      this.creating.set(roomId, pending);
    }
    return pending;
  }

  /** Idempotent: closes every room with reason SHUTDOWN. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const room of [...this.rooms.values()]) room.close('SHUTDOWN');
    this.rooms.clear();
    this.removeAllListeners();
  }

  private async create(roomId: string): Promise<Room> {
    let room: Room;
    try {
      room = await Room.create(roomId, this.pool, this.maxPeersPerRoom);
    } catch (err) {
      log.error('room creation failed', err, { roomId });
      throw new ProtocolError('UNAVAILABLE', 'could not create the room; try again');
    }
    if (this.closed) {
      room.close('SHUTDOWN');
      throw new ProtocolError('UNAVAILABLE', 'server is shutting down');
    }
    room.on('close', () => {
      if (this.rooms.get(roomId) === room) this.rooms.delete(roomId);
    });
    this.rooms.set(roomId, room);
    log.info('room created', { roomId, worker: room.slots[0] });
    this.emit('roomCreated', room);
    return room;
  }
}
