/**
 * "About this client": the client hash (web/integrity/aboutClient.ts) and the SFU this page
 * signals to, with how to check them from outside the page.
 */
import { css, html, LitElement, nothing } from 'lit';
import { loadClientConfig, type ClientConfig } from '../config/clientConfig.js';
import { readClientIdentity, type ClientIdentity } from '../integrity/aboutClient.js';
import { theme } from './theme.js';

export class AboutClient extends LitElement {
  static override properties = {
    identity: { state: true },
    config: { state: true },
    failed: { state: true },
  };
  static override styles = [
    theme,
    css`
      :host {
        display: block;
      }
      h3 {
        font-size: 0.95rem;
        margin: 1.2rem 0 0.5rem;
      }
      code {
        font-family: ui-monospace, monospace;
        font-size: 0.8rem;
        word-break: break-all;
        user-select: all;
      }
      p {
        color: var(--muted);
        font-size: 0.85rem;
        line-height: 1.45;
      }
      .warn {
        color: var(--warn);
      }
    `,
  ];
  declare identity: ClientIdentity | null | undefined;
  declare config: ClientConfig | null;
  declare failed: boolean;

  constructor() {
    super();
    this.identity = undefined;
    this.config = null;
    this.failed = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    readClientIdentity().then(
      (identity) => (this.identity = identity),
      () => (this.failed = true),
    );
    loadClientConfig().then(
      (config) => (this.config = config),
      () => (this.config = null),
    );
  }

  override render(): unknown {
    const id = this.identity;
    return html`<section aria-labelledby="about-title" data-test="about-client">
      <h3 id="about-title">About this client</h3>
      ${
        this.failed
          ? html`<p class="warn" data-test="client-hash-error">
              This client’s manifest could not be read.
            </p>`
          : id === undefined
            ? html`<p>Reading the client’s manifest…</p>`
            : id === null
              ? html`<p data-test="client-hash-none">Development build: no client hash.</p>`
              : html`<p>
                    Client hash (SHA-256):
                    <code data-test="client-hash">${id.hash}</code>
                  </p>
                  ${
                    id.scriptListed
                      ? nothing
                      : html`<p class="warn" data-test="client-hash-mismatch">
                          The running script is not the one this manifest lists.
                        </p>`
                  }`
      }
      ${
        this.config
          ? html`<p>
              Call server: <code data-test="sfu-url">${this.config.sfuUrl}</code>
              (${this.config.source === 'config' ? 'from config.json' : 'the server of this page'})
            </p>`
          : nothing
      }
      <p>
        A changed client could show any hash, so check it from outside the page: compare it with the
        hash published for this release, or run <code>npm run verify-client -- URL</code>
        with the same commit. Safest is a copy of the client hosted apart from the call server.
      </p>
    </section>`;
  }
}

customElements.define('bc-about-client', AboutClient);
