/**
 * The shared typed emitter (shared/util/TypedEmitter.ts) for the call engine and its parts, with
 * the client's logger for listeners that throw.
 */
import { TypedEmitter } from '../../shared/util/TypedEmitter.js';
import { createLogger } from './logger.js';

const log = createLogger('Emitter');

export class Emitter<
  Events extends { [K in keyof Events]: unknown[] },
> extends TypedEmitter<Events> {
  protected override listenerFailed(event: string, err: unknown): void {
    log.error('listener threw', err, { event });
  }
}
