/**
 * Security panel: the call's room code (everyone in the call sees the same one), your own
 * identity fingerprint and each participant's with a "verified" switch, and per-sender E2EE status — the key id in use, frames decrypted, and
 * frames that failed to decrypt (dropped, never shown).
 */
import { css, html, LitElement, nothing } from 'lit';
import type { ScanResult } from '../call/CallEngine.js';
import type { CallModel, Participant } from '../call/CallModel.js';
import { securityState } from '../call/securityState.js';
import { e2eeHealth, participantName } from './names.js';
import { theme } from './theme.js';
import { assertNever } from '../util/assertNever.js';
import './AboutClient.js';
import './QrCode.js';

/** Reads someone's identity QR code with this device's camera (CallEngine.scanIdentity). */
export type IdentityScanner = (signal: AbortSignal) => Promise<ScanResult>;

type ScanState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'scanning'; readonly abort: AbortController }
  | { readonly kind: 'done'; readonly result: ScanResult | { readonly kind: 'failed' } };

export interface VerifyDetail {
  readonly peerId: string;
  readonly verified: boolean;
}

export class SecurityPanel extends LitElement {
  static override properties = {
    model: { attribute: false },
    revision: { type: Number },
    scanner: { attribute: false },
    scanState: { state: true },
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
      .qr {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem 0.8rem;
        align-items: center;
        margin-top: 0.6rem;
      }
      .qr bc-qr-code {
        flex: 0 0 10rem;
      }
      .qr p {
        flex: 1 1 8rem;
        margin: 0;
      }
      .scan {
        margin-top: 0.6rem;
        font-size: 0.88rem;
      }
      .scan button {
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
  declare scanner: IdentityScanner | null;
  declare scanState: ScanState;

  constructor() {
    super();
    this.model = null;
    this.revision = 0;
    this.scanner = null;
    this.scanState = { kind: 'idle' };
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.scanState.kind === 'scanning') this.scanState.abort.abort();
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
      ${this.renderOwnCode(model)}
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

  /** Your identity QR code, and the button that reads someone else's with your camera. */
  private renderOwnCode(model: CallModel): unknown {
    if (!model.selfQrCode) return nothing;
    const st = this.scanState;
    return html`<div class="qr">
        <bc-qr-code
          data-test="own-qr"
          .text=${model.selfQrCode}
          label="Your identity code (QR)"
        ></bc-qr-code>
        <p>
          Someone next to you can scan this code from their own security panel: it carries your
          whole identity key, not only the fingerprint.
        </p>
      </div>
      ${
        this.scanner
          ? html`<div class="scan">
              ${
                st.kind === 'scanning'
                  ? html`<p data-test="scan-status">
                        Hold their screen up to your camera, code facing it…
                      </p>
                      <button data-test="scan-cancel" @click=${() => st.abort.abort()}>
                        Cancel
                      </button>`
                  : html`<button data-test="scan-code" @click=${() => void this.startScan()}>
                      Scan someone's code
                    </button>`
              }
              ${st.kind === 'done' ? scanMessage(st.result) : nothing}
            </div>`
          : nothing
      }`;
  }

  private async startScan(): Promise<void> {
    if (!this.scanner || this.scanState.kind === 'scanning') return;
    const abort = new AbortController();
    this.scanState = { kind: 'scanning', abort };
    try {
      this.scanState = { kind: 'done', result: await this.scanner(abort.signal) };
    } catch {
      this.scanState = abort.signal.aborted
        ? { kind: 'idle' }
        : { kind: 'done', result: { kind: 'failed' } };
    }
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

function scanMessage(result: ScanResult | { readonly kind: 'failed' }): unknown {
  switch (result.kind) {
    case 'verified':
      return html`<p class="ok" data-test="scan-result" data-result="verified">
        ${result.name} is verified: their code carries the identity key they have in this call.
      </p>`;
    case 'unknown':
      return html`<p class="failing" role="alert" data-test="scan-result" data-result="unknown">
        That code belongs to nobody in this call. If the person who showed it is in the call,
        someone else is answering in their place: compare the room code aloud.
      </p>`;
    case 'self':
      return html`<p data-test="scan-result" data-result="self">That is your own code.</p>`;
    case 'no-camera':
      return html`<p data-test="scan-result" data-result="no-camera">
        Turn your camera on to scan a code.
      </p>`;
    case 'failed':
      return html`<p data-test="scan-result" data-result="failed">
        The camera could not be read.
      </p>`;
    default:
      return assertNever(result);
  }
}

const healthText = {
  ok: 'Encrypted',
  waiting: 'Exchanging keys…',
  failing: 'Cannot decrypt',
} as const;

customElements.define('bc-security', SecurityPanel);
