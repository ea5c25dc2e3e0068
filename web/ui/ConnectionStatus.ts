/**
 * Connection progress and trouble: a step list while connecting, joining and exchanging keys, and
 * a "Reconnecting…" banner while the call recovers on its own. Announced to screen readers.
 */
import { css, html, LitElement, nothing } from 'lit';
import type { CallPhase } from '../call/CallModel.js';
import { theme } from './theme.js';

const STEPS: readonly { phase: CallPhase; label: string }[] = [
  { phase: 'connecting', label: 'Connecting to the server' },
  { phase: 'joining', label: 'Joining the room' },
  { phase: 'keys', label: 'Exchanging encryption keys' },
];

export class ConnectionStatus extends LitElement {
  static override properties = { phase: { type: String }, waitingFor: { type: Number } };
  static override styles = [
    theme,
    css`
      .overlay {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        background: #0f1115d0;
        z-index: 5;
      }
      .card {
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 1.25rem 1.5rem;
        min-width: min(22rem, 90vw);
      }
      ol {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      li {
        padding: 0.35rem 0;
        color: var(--muted);
      }
      li.done {
        color: var(--ok);
      }
      li.current {
        color: var(--text);
        font-weight: 600;
      }
      li::before {
        content: '○ ';
      }
      li.done::before {
        content: '✓ ';
      }
      li.current::before {
        content: '◌ ';
      }
      .banner {
        background: #2a2214;
        border-bottom: 1px solid var(--warn);
        color: var(--warn);
        padding: 0.5rem 1rem;
        text-align: center;
      }
    `,
  ];
  declare phase: CallPhase;
  declare waitingFor: number;

  constructor() {
    super();
    this.phase = 'connecting';
    this.waitingFor = 0;
  }

  override render(): unknown {
    if (this.phase === 'reconnecting') {
      return html`<div class="banner" role="alert" data-test="reconnecting">
        Reconnecting… The call resumes on its own, with fresh keys.
      </div>`;
    }
    const index = STEPS.findIndex((s) => s.phase === this.phase);
    if (index < 0) return nothing;
    return html`<div class="overlay">
      <div
        class="card"
        role="status"
        aria-live="polite"
        data-test="progress"
        data-phase=${this.phase}
      >
        <ol>
          ${STEPS.map(
            (s, i) =>
              html`<li class=${i < index ? 'done' : i === index ? 'current' : ''}>
                ${s.label}${
                  s.phase === 'keys' && i === index && this.waitingFor > 0
                    ? ` (${this.waitingFor} ${this.waitingFor === 1 ? 'person' : 'people'})`
                    : ''
                }
              </li>`,
          )}
        </ol>
      </div>
    </div>`;
  }
}
customElements.define('bc-connection-status', ConnectionStatus);
