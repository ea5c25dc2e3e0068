/**
 * "Forget this device's identity": deletes the stored identity key after a confirmation step.
 * Other people who verified this device will see a new code next time, which is the point.
 */
import { css, html, LitElement } from 'lit';
import { IdentityStore } from '../identity/IdentityStore.js';
import { theme } from './theme.js';
import { showToast } from './toast.js';

export class IdentityControl extends LitElement {
  static override properties = { confirming: { state: true } };
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        color: var(--muted);
        font-size: 0.9rem;
        line-height: 1.5;
      }
      h2 {
        font-size: 1.05rem;
        margin: 0;
        color: var(--text);
      }
      .row {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        align-items: center;
        margin-top: 0.5rem;
      }
    `,
  ];
  declare confirming: boolean;
  private readonly store = new IdentityStore();

  constructor() {
    super();
    this.confirming = false;
  }

  override render(): unknown {
    return html`<section aria-labelledby="identity-title">
      <h2 id="identity-title">This device</h2>
      <p>
        This browser keeps an identity key so the codes you compare with others stay the same from
        call to call. It never leaves this device.
      </p>
      <div class="row">
        ${
          this.confirming
            ? html`<span role="alert">Forget it? People who verified you will need to again.</span>
                <button class="danger" data-test="forget-identity-confirm" @click=${this.forget}>
                  Forget identity
                </button>
                <button @click=${() => (this.confirming = false)}>Cancel</button>`
            : html`<button data-test="forget-identity" @click=${() => (this.confirming = true)}>
                Forget this device's identity
              </button>`
        }
      </div>
    </section>`;
  }

  private readonly forget = async (): Promise<void> => {
    this.confirming = false;
    try {
      await this.store.forget();
      showToast(
        'This device’s identity was forgotten. A new one is made for your next call.',
        'ok',
      );
    } catch {
      showToast('Could not forget the identity: browser storage is unavailable.', 'error');
    }
  };
}
customElements.define('bc-identity-control', IdentityControl);
