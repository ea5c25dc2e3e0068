/** Shows toasts from the toast bus for a few seconds, announced politely to screen readers. */
import { css, html, LitElement } from 'lit';
import { theme } from './theme.js';
import { TOAST_EVENT, type Toast } from './toast.js';

const TOAST_MS = 4000;

export class Toasts extends LitElement {
  static override properties = { toasts: { state: true } };
  static override styles = [
    theme,
    css`
      :host {
        position: fixed;
        left: 50%;
        bottom: 6rem;
        transform: translateX(-50%);
        z-index: 100;
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
        pointer-events: none;
        width: min(90vw, 28rem);
      }
      .toast {
        background: var(--panel-2);
        border: 1px solid var(--line);
        border-left: 4px solid var(--accent);
        border-radius: 8px;
        padding: 0.6rem 0.9rem;
        box-shadow: 0 6px 24px #0008;
      }
      .ok {
        border-left-color: var(--ok);
      }
      .warn {
        border-left-color: var(--warn);
      }
      .error {
        border-left-color: var(--danger);
      }
    `,
  ];
  declare toasts: Toast[];
  private readonly onToast = (event: Event): void => {
    const toast = (event as CustomEvent<Toast>).detail;
    this.toasts = [...this.toasts, toast].slice(-4);
    setTimeout(() => {
      this.toasts = this.toasts.filter((t) => t.id !== toast.id);
    }, TOAST_MS);
  };

  constructor() {
    super();
    this.toasts = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener(TOAST_EVENT, this.onToast);
  }

  override disconnectedCallback(): void {
    window.removeEventListener(TOAST_EVENT, this.onToast);
    super.disconnectedCallback();
  }

  override render(): unknown {
    return html`<div role="status" aria-live="polite">
      ${this.toasts.map((t) => html`<div class="toast ${t.kind}" data-test="toast">${t.text}</div>`)}
    </div>`;
  }
}
customElements.define('bc-toasts', Toasts);
