/**
 * End-to-end encrypted chat: messages travel as MLS application messages (padded, signed by the
 * sender's leaf), so the server relays only ciphertext. Text is rendered as text (never as HTML).
 */
import { css, html, LitElement, nothing } from 'lit';
import type { CallModel } from '../call/CallModel.js';
import { participantName } from './names.js';
import { theme } from './theme.js';

export const CHAT_MAX_CHARS = 2000;

export class ChatPanel extends LitElement {
  static override properties = {
    model: { attribute: false },
    revision: { type: Number },
    draft: { state: true },
  };
  static override styles = [
    theme,
    css`
      :host {
        display: flex;
        flex-direction: column;
        height: 100%;
        min-height: 0;
      }
      h2 {
        font-size: 1.05rem;
        margin: 0 0 0.3rem;
      }
      .note {
        color: var(--muted);
        font-size: 0.85rem;
        margin: 0 0 0.6rem;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        flex: 1;
        overflow-y: auto;
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
        min-height: 8rem;
      }
      li .meta {
        font-size: 0.78rem;
        color: var(--muted);
      }
      li .text {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      li.self .meta {
        color: var(--accent);
      }
      form {
        display: flex;
        gap: 0.4rem;
        margin-top: 0.6rem;
      }
    `,
  ];
  declare model: CallModel | null;
  declare revision: number;
  declare draft: string;

  constructor() {
    super();
    this.model = null;
    this.revision = 0;
    this.draft = '';
  }

  override render(): unknown {
    const model = this.model;
    if (!model) return nothing;
    return html`<h2 id="chat-title">Chat</h2>
      <p class="note">End-to-end encrypted. Only people in the call now receive messages.</p>
      <ol aria-labelledby="chat-title" aria-live="polite" data-test="chat-log">
        ${model.chat.map((m) => {
          const self = m.from === model.selfPeerId || m.from === '';
          const who = self ? 'You' : nameOf(model, m.from);
          const time = new Date(m.at).toLocaleTimeString([], {
            hour: '2-digit',
            minute: '2-digit',
          });
          return html`<li class=${self ? 'self' : ''} data-test="chat-message">
            <div class="meta">${who} · ${time}</div>
            <div class="text">${m.text}</div>
          </li>`;
        })}
      </ol>
      <form @submit=${this.send}>
        <label for="chat-input" class="visually-hidden">Message</label>
        <input
          id="chat-input"
          type="text"
          autocomplete="off"
          maxlength=${CHAT_MAX_CHARS}
          .value=${this.draft}
          data-test="chat-input"
          placeholder="Message everyone"
          @input=${(e: Event) => (this.draft = (e.target as HTMLInputElement).value)}
        />
        <button
          type="submit"
          class="primary"
          data-test="chat-send"
          ?disabled=${this.draft.trim() === ''}
        >
          Send
        </button>
      </form>`;
  }

  protected override updated(): void {
    const log = this.renderRoot.querySelector('ol');
    if (log) log.scrollTop = log.scrollHeight;
  }

  private readonly send = (event: Event): void => {
    event.preventDefault();
    const text = this.draft.trim();
    if (text === '') return;
    this.draft = '';
    this.dispatchEvent(
      new CustomEvent<string>('chat-send', { detail: text, bubbles: true, composed: true }),
    );
  };
}

function nameOf(model: CallModel, peerId: string): string {
  const p = model.participants.get(peerId);
  return p ? participantName(p) : 'Someone who left';
}

customElements.define('bc-chat', ChatPanel);
