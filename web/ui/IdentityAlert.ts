/**
 * The blocking alert for a changed identity: someone joined under the name of a contact you
 * verified, with another identity key. It covers the call until answered, because a counter in a
 * panel is not something people notice before they say something sensitive.
 */
import { css, html, LitElement, nothing } from 'lit';
import type { IdentityChange } from '../call/CallModel.js';
import { theme } from './theme.js';

export type IdentityAnswer = 'leave' | 'compare' | 'stay';

export interface IdentityAnswerDetail {
  readonly peerId: string;
  readonly answer: IdentityAnswer;
}

export class IdentityAlert extends LitElement {
  static override properties = { change: { attribute: false } };
  static override styles = [
    theme,
    css`
      .backdrop {
        position: fixed;
        inset: 0;
        background: rgb(0 0 0 / 0.65);
        display: grid;
        place-items: center;
        z-index: 20;
      }
      .dialog {
        background: var(--panel);
        border: 2px solid var(--danger);
        border-radius: var(--radius);
        max-width: 30rem;
        margin: 1rem;
        padding: 1.2rem;
      }
      h2 {
        margin: 0 0 0.6rem;
        font-size: 1.1rem;
        color: var(--danger);
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin-top: 1rem;
      }
    `,
  ];
  declare change: IdentityChange | null;

  constructor() {
    super();
    this.change = null;
  }

  protected override updated(): void {
    this.renderRoot.querySelector<HTMLButtonElement>('[data-test=identity-alert-compare]')?.focus();
  }

  override render(): unknown {
    const c = this.change;
    if (!c) return nothing;
    return html`<div class="backdrop">
      <div
        class="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="identity-alert-title"
        aria-describedby="identity-alert-text"
        data-test="identity-alert"
        data-peer=${c.peerId}
      >
        <h2 id="identity-alert-title">${c.displayName}’s identity has changed</h2>
        <div id="identity-alert-text">
          <p>
            You verified someone called ${c.displayName} before, but the person in this call under
            that name has a different identity key.
          </p>
          <p>
            They may be on a new device or have reset their identity. It may also be someone else
            using their name, possibly with the server’s help. Compare fingerprints with them
            another way (in person, or over a call you trust) before you say anything sensitive.
          </p>
        </div>
        <div class="actions">
          <button data-test="identity-alert-compare" @click=${() => this.answer('compare')}>
            Compare fingerprints
          </button>
          <button data-test="identity-alert-stay" @click=${() => this.answer('stay')}>
            Stay without verifying
          </button>
          <button
            class="danger"
            data-test="identity-alert-leave"
            @click=${() => this.answer('leave')}
          >
            Leave the call
          </button>
        </div>
      </div>
    </div>`;
  }

  private answer(answer: IdentityAnswer): void {
    if (!this.change) return;
    this.dispatchEvent(
      new CustomEvent<IdentityAnswerDetail>('identity-answer', {
        detail: { peerId: this.change.peerId, answer },
        bubbles: true,
        composed: true,
      }),
    );
  }
}

customElements.define('bc-identity-alert', IdentityAlert);
