/**
 * "Copy invite link" inside the call. The secret left the address bar when the page read it
 * (web/util/addressBar.ts), so this is where people find the link again. Where the clipboard is
 * refused, the link is shown selected for Ctrl+C.
 */
import { css, html, LitElement, nothing } from 'lit';
import { theme } from './theme.js';
import { showToast } from './toast.js';

export class InviteButton extends LitElement {
  static override properties = {
    link: { type: String },
    shown: { state: true },
  };
  static override styles = [
    theme,
    css`
      :host {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
      }
      button {
        font-size: 0.85rem;
        min-height: 32px;
      }
      input {
        width: 16rem;
        font-size: 0.8rem;
      }
    `,
  ];
  declare link: string;
  declare shown: boolean;

  constructor() {
    super();
    this.link = '';
    this.shown = false;
  }

  override render(): unknown {
    if (!this.link) return nothing;
    return html`<button data-test="copy-invite" @click=${this.copy}>Copy invite link</button> ${
        this.shown
          ? html`<input
              readonly
              aria-label="Invite link"
              data-test="invite-link-in-call"
              .value=${this.link}
              @blur=${() => (this.shown = false)}
            />`
          : nothing
      }`;
  }

  private readonly copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(this.link);
      showToast('Invite link copied: share it only with your guests', 'ok');
    } catch {
      this.shown = true;
      await this.updateComplete;
      const input = this.renderRoot.querySelector('input');
      input?.focus();
      input?.select();
      showToast('Press Ctrl+C (⌘C) to copy the selected link', 'warn');
    }
  };
}

customElements.define('bc-invite-button', InviteButton);
