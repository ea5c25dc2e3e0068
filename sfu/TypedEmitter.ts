/**
 * The shared typed emitter (shared/util/TypedEmitter.ts) with the server's logger for listeners
 * that throw.
 */
import { TypedEmitter as SharedEmitter } from '../shared/util/TypedEmitter.js';
import { createLogger } from './logger.js';

const log = createLogger('TypedEmitter');

export class TypedEmitter<
  Events extends { [K in keyof Events]: unknown[] },
> extends SharedEmitter<Events> {
  protected override listenerFailed(event: string, err: unknown): void {
    log.error('listener threw', err, { event });
  }
}
