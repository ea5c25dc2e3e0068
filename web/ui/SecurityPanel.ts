/**
 * Security panel: the call's room code (everyone in the call sees the same one), your own
 * identity fingerprint and each participant's with a "verified" switch, and per-sender E2EE status — the key id in use, frames decrypted, and
 * frames that failed to decrypt (dropped, never shown).
 */
import { css, html, LitElement, nothing } from 'lit';
import type { CallModel, Participant } from '../call/CallModel.js';
import { securityState } from '../call/securityState.js';
import { e2eeHealth, participantName } from './names.js';
import { theme } from './theme.js';
import './AboutClient.js';

export interface VerifyDetail {
  readonly peerId: string;
  readonly verified: boolean;
}

export class SecurityPanel extends LitElement {
  static override properties = {
    model: { attribute: false },
    revision: { type: Number },
  };
  static override styles = [
    theme,
    css`
      :host {
        display: block;
      }
      h2 {
        font-size: 1.05rem;
        margin: 0 0 0.5rem;
      }
      h3 {
        font-size: 0.95rem;
        margin: 1.2rem 0 0.5rem;
      }
      .code {
        background: var(--panel-2);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 0.8rem;
        text-align: center;
      }
      .fingerprint {
        font-family: ui-monospace, monospace;
      }
      .digits {
        font-family: ui-monospace, monospace;
        font-size: 1.2rem;
        margin-top: 0.3rem;
      }
      .alerts {
        border: 1px solid var(--danger);
        border-radius: var(--radius);
        padding: 0 0.8rem 0.6rem;
        margin-top: 1rem;
        color: var(--danger);
      }
      .alerts ul {
        margin: 0;
        padding-left: 1.1rem;
        font-size: 0.88rem;
      }
      p {
        color: var(--muted);
        font-size: 0.88rem;
        line-height: 1.45;
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0;
        display: flex;
        flex-direction: column;
        gap: 0.6rem;
      }
      li {
        border: 1px solid var(--line);
        border-radius: 10px;
        padding: 0.6rem 0.7rem;
      }
      .who {
        display: flex;
        justify-content: space-between;
        gap: 0.5rem;
        align-items: center;
        font-weight: 600;
      }
      .pair {
        font-family: ui-monospace, monospace;
        font-size: 0.9rem;
        margin: 0.3rem 0;
      }
      dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 0.15rem 0.7rem;
        margin: 0.3rem 0 0;
        font-size: 0.85rem;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
      }
      .ok {
        color: var(--ok);
      }
      .waiting {
        color: var(--warn);
      }
      .failing {
        color: var(--danger);
      }
      label.verify {
        display: flex;
        align-items: center;
        gap: 0.4rem;
        font-size: 0.88rem;
        min-height: 32px;
      }
      input[type='checkbox'] {
        width: 1.1rem;
        height: 1.1rem;
      }
    `,
  ];
  declare model: CallModel | null;
  declare revision: number;

  constructor() {
    super();
    this.model = null;
    this.revision = 0;
  }

  override render(): unknown {
    const model = this.model;
    if (!model) return nothing;
    const code = model.roomCode;
    const local = model.local.e2ee;
    return html`<section aria-labelledby="security-title" data-test="security-panel">
      <h2 id="security-title">Security code of this call</h2>
      ${
        code
          ? html`<div class="code" data-test="security-code">
              <div class="digits" data-test="security-digits">${code.full}</div>
            </div>`
          : html`<div class="code">Exchanging keys…</div>`
      }
      <p>
        Everyone in this call sees the same code. Read it out to each other: if anyone sees a
        different one, someone is intercepting the call. It changes whenever someone joins or
        leaves.
      </p>
      <h3>You</h3>
      <dl data-test="local-e2ee">
        <dt>Sending with key</dt>
        <dd data-test="local-kid">${model.localKid ?? '–'}</dd>
        <dt>Frames encrypted</dt>
        <dd>${local.frames}</dd>
        <dt>Frames held back</dt>
        <dd title="Frames not sent because no key was ready">${local.failures}</dd>
        ${
          model.selfFingerprint
            ? html`<dt>Your fingerprint</dt>
                <dd class="fingerprint" data-test="own-fingerprint">${model.selfFingerprint}</dd>`
            : nothing
        }
      </dl>
      <h3>Participants</h3>
      ${
        model.participants.size === 0
          ? html`<p>Nobody else is here yet.</p>`
          : html`<ul>
              ${[...model.participants.values()].map((p) => this.renderPeer(p))}
            </ul>`
      }
      ${this.renderAlerts(model)}
      <bc-about-client></bc-about-client>
    </section>`;
  }

  /** Hostile events, named; network effects only as a quiet count (securityState.ts). */
  private renderAlerts(model: CallModel): unknown {
    const state = securityState(model);
    return html`${
      state.alerts.length > 0
        ? html`<div class="alerts" role="alert" data-test="security-alerts">
            <h3>Warning</h3>
            <p>${state.detail}</p>
            <ul>
              ${state.alerts.map((line) => html`<li data-test="security-alert">${line}</li>`)}
            </ul>
          </div>`
        : nothing
    }${
      model.networkWarnings > 0
        ? html`<p data-test="network-warnings">
            This device caught up with the group's keys ${model.networkWarnings}
            ${model.networkWarnings === 1 ? 'time' : 'times'} (missed or refused commits): messages
            lost on the network, or held back by the server. Compare the room code again if this
            number keeps growing.
          </p>`
        : nothing
    }`;
  }

  private renderPeer(p: Participant): unknown {
    const health = e2eeHealth(p);
    const reasons = Object.entries(p.e2ee.byReason)
      .map(([r, n]) => `${r}: ${n}`)
      .join(', ');
    return html`<li data-test="security-peer" data-peer=${p.peerId}>
      <div class="who">
        <span>${participantName(p)}</span>
        <span class=${health} data-test="peer-health">${healthText[health]}</span>
      </div>
      ${
        p.roster?.fingerprint
          ? html`<div
                class="pair fingerprint"
                data-test="fingerprint"
                title="This person's own fingerprint: it should match the one their security panel shows as theirs"
              >
                ${p.roster.fingerprint}
              </div>
              <label class="verify">
                <input
                  type="checkbox"
                  data-test="verify"
                  .checked=${p.roster.verified}
                  @change=${(e: Event) => this.verify(p.peerId, (e.target as HTMLInputElement).checked)}
                />
                It matches the fingerprint on their screen
              </label>`
          : nothing
      }
      <dl>
        <dt>Key in use</dt>
        <dd data-test="peer-kid">${p.e2ee.kid ?? '–'}</dd>
        <dt>Frames decrypted</dt>
        <dd data-test="peer-frames">${p.e2ee.frames}</dd>
        <dt>Decrypt failures</dt>
        <dd data-test="peer-failures" title=${reasons}>${p.e2ee.failures}</dd>
      </dl>
    </li>`;
  }

  private verify(peerId: string, verified: boolean): void {
    this.dispatchEvent(
      new CustomEvent<VerifyDetail>('verify', {
        detail: { peerId, verified },
        bubbles: true,
        composed: true,
      }),
    );
  }
}

const healthText = {
  ok: 'Encrypted',
  waiting: 'Exchanging keys…',
  failing: 'Cannot decrypt',
} as const;

customElements.define('bc-security', SecurityPanel);
