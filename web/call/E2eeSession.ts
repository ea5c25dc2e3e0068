/**
 * Glue between the E2EE key agent (shared/e2ee) and the rest of the client. It feeds the agent
 * server events and relay payloads, drives its timers, and applies the agent's effects in order:
 * relay messages go to the signalling server (as opaque ciphertext), media keys go to the frame
 * worker, and roster, security code, chat and warnings go to the call.
 *
 * Key bytes only pass through here on their way to the FrameCryptor (which copies them into the
 * worker); display names and chat text only on their way to the UI. None of them is logged.
 */
import {
  KeyAgent,
  type AgentEffect,
  type RosterEntry,
  type SecurityCode,
  type WarningCode,
} from '../../shared/e2ee/index.js';
import { assertNever } from '../util/assertNever.js';
import { Emitter } from '../util/Emitter.js';
import { createLogger, errorName } from '../util/logger.js';

const log = createLogger('E2eeSession');

/** tick() at the agent's next deadline, but at least this often (and never busier than 20 Hz). */
const MAX_TICK_MS = 250;
const MIN_TICK_MS = 50;

export interface E2eeConfig {
  readonly roomId: string;
  readonly selfPeerId: string;
  readonly roomSecret: Uint8Array;
  readonly identity: Uint8Array;
  readonly displayName: string;
}

/** Where effects go. The key sink is the FrameCryptor. */
export interface E2eeSinks {
  relay(to: string | null, payload: Uint8Array): Promise<void>;
  setSenderKey(kid: number, keyBytes: Uint8Array): void;
  addReceiverKey(peerId: string, kid: number, keyBytes: Uint8Array): void;
  removeReceiverKey(kid: number, peerId: string | null): void;
}

export interface ChatMessage {
  readonly id: number;
  readonly from: string;
  readonly text: string;
  readonly at: number;
}

type Events = {
  roster: [roster: readonly RosterEntry[]];
  securityCode: [code: SecurityCode];
  chat: [message: ChatMessage];
  warning: [code: WarningCode, peerId: string | undefined, count: number];
  localKid: [kid: number];
};

type EffectHandlers = {
  [K in AgentEffect['type']]: (effect: Extract<AgentEffect, { type: K }>) => void;
};

let chatIds = 0;

/** Ids for chat entries (received and our own), unique within this page. */
export function newChatId(): number {
  return ++chatIds;
}

export class E2eeSession extends Emitter<Events> {
  private readonly agent: KeyAgent;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    config: E2eeConfig,
    private readonly sinks: E2eeSinks,
  ) {
    super();
    this.agent = new KeyAgent({
      ...config,
      clock: { now: () => Date.now() },
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
    });
  }

  start(): Promise<void> {
    return this.input(this.agent.start());
  }

  peerJoined(peerId: string): Promise<void> {
    return this.input(this.agent.handlePeerJoined(peerId));
  }

  peerLeft(peerId: string): Promise<void> {
    return this.input(this.agent.handlePeerLeft(peerId));
  }

  relay(from: string, payload: Uint8Array): Promise<void> {
    return this.input(this.agent.handleRelay(from, payload));
  }

  sendChat(text: string): Promise<void> {
    return this.input(this.agent.sendChat(text));
  }

  markVerified(peerId: string, verified: boolean): Promise<void> {
    return this.input(this.agent.markVerified(peerId, verified));
  }

  rekey(): Promise<void> {
    return this.input(this.agent.rekey());
  }

  pairwiseCode(peerId: string): SecurityCode | null {
    return this.closed ? null : this.agent.pairwiseCode(peerId);
  }

  get currentKid(): number | null {
    return this.closed ? null : this.agent.currentKid;
  }

  /** Idempotent: the agent forgets every key. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.agent.close();
    this.removeAllListeners();
  }

  private async input(pending: Promise<AgentEffect[]>): Promise<void> {
    let effects: AgentEffect[];
    try {
      effects = await pending;
    } catch (err) {
      if (this.closed) return;
      throw err;
    }
    if (this.closed) return;
    for (const effect of effects) this.apply(effect);
    this.schedule();
  }

  private apply(effect: AgentEffect): void {
    switch (effect.type) {
      case 'send':
        return this.handlers.send(effect);
      case 'localKeyChanged':
        return this.handlers.localKeyChanged(effect);
      case 'remoteKeyAdded':
        return this.handlers.remoteKeyAdded(effect);
      case 'remoteKeyRemoved':
        return this.handlers.remoteKeyRemoved(effect);
      case 'rosterChanged':
        return this.handlers.rosterChanged(effect);
      case 'securityCodeChanged':
        return this.handlers.securityCodeChanged(effect);
      case 'chat':
        return this.handlers.chat(effect);
      case 'warning':
        return this.handlers.warning(effect);
      case 'closed':
        return this.handlers.closed(effect);
      default:
        return assertNever(effect);
    }
  }

  private readonly handlers: EffectHandlers = {
    send: ({ to, payload }) => {
      this.sinks.relay(to, payload).catch((err: unknown) => {
        // The agent retries unanswered handshakes and keys on its own timers.
        log.debug('relay failed', {
          to: to ?? 'all',
          error: errorName(err),
        });
      });
    },
    localKeyChanged: ({ kid, keyBytes }) => {
      this.sinks.setSenderKey(kid, keyBytes);
      log.debug('local key changed', { kid });
      this.emit('localKid', kid);
    },
    remoteKeyAdded: ({ peerId, kid, keyBytes }) => {
      this.sinks.addReceiverKey(peerId, kid, keyBytes);
      log.debug('remote key added', { peerId, kid });
    },
    remoteKeyRemoved: ({ peerId, kid }) => {
      this.sinks.removeReceiverKey(kid, peerId);
      log.debug('remote key removed', { peerId, kid });
    },
    rosterChanged: ({ roster }) => this.emit('roster', roster),
    securityCodeChanged: ({ code }) => this.emit('securityCode', code),
    chat: ({ from, text, at }) => this.emit('chat', { id: newChatId(), from, text, at }),
    warning: ({ code, peerId, count }) => {
      log.warn('key protocol warning', { code, peerId, count });
      this.emit('warning', code, peerId, count);
    },
    closed: () => undefined,
  };

  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    const deadline = this.agent.nextDeadline();
    const wait = deadline === null ? MAX_TICK_MS : deadline - Date.now();
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.input(this.agent.tick()).catch((err: unknown) => log.error('tick failed', err));
      },
      Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, wait)),
    );
  }
}
