/**
 * Home: "New call" makes a room id and a 32-byte secret in this browser and shows the invite link
 * `…/r/<roomId>#<secret>`. Nothing is sent to the server until someone joins, and the secret never.
 */
import { css, html, LitElement } from 'lit';
import { createRoom, inviteLink, roomLink, type NewRoom } from '../util/route.js';
import { navigate } from './navigation.js';
import { theme } from './theme.js';
import { showToast } from './toast.js';
import './IdentityControl.js';
import './ProtectionInfo.js';

export class HomeView extends LitElement {
  static override properties = { room: { state: true } };
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        max-width: 44rem;
        margin: 0 auto;
        padding: 2rem 1rem 4rem;
      }
      h1 {
        font-size: 2.2rem;
        margin: 0;
        letter-spacing: -0.02em;
      }
      .lead {
        color: var(--muted);
        font-size: 1.1rem;
        line-height: 1.5;
      }
      .card {
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 1.25rem;
        margin: 1.25rem 0;
      }
      .row {
        display: flex;
        gap: 0.5rem;
        margin: 0.4rem 0;
      }
      .row input {
        flex: 1;
        font-family: ui-monospace, monospace;
        font-size: 0.85rem;
      }
      label {
        font-weight: 600;
      }
      .hint {
        color: var(--muted);
        font-size: 0.9rem;
        line-height: 1.5;
      }
      .actions {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        margin-top: 0.75rem;
      }
    `,
  ];
  declare room: NewRoom | null;

  constructor() {
    super();
    this.room = null;
  }

  private get link(): string {
    return this.room ? inviteLink(location.origin, this.room) : '';
  }

  override render(): unknown {
    return html`<main>
      <h1>blindcall</h1>
      <p class="lead">
        End-to-end encrypted group video calls. The server routes your call but cannot see or hear
        it.
      </p>
      <section class="card" aria-label="Start a call">
        <button class="primary" data-test="new-call" @click=${this.create}>New call</button>
        ${this.room ? this.renderInvite() : null}
      </section>
      <section class="card"><bc-protection></bc-protection></section>
      <section class="card"><bc-identity-control></bc-identity-control></section>
    </main>`;
  }

  private renderInvite(): unknown {
    return html`<div class="invite">
      <p><label for="invite">Invite link</label></p>
      <div class="row">
        <input
          id="invite"
          type="text"
          readonly
          .value=${this.link}
          data-test="invite-link"
          @focus=${(e: Event) => (e.target as HTMLInputElement).select()}
        />
        <button data-test="copy-link" @click=${this.copy}>Copy</button>
      </div>
      <p class="hint">
        The part after “#” is the call’s secret key. It was made in this browser and is never sent
        to the server. Anyone with the whole link can join, so share it only with your guests.
      </p>
      <div class="actions">
        <button class="primary" data-test="open-call" @click=${this.open}>Join this call</button>
      </div>
    </div>`;
  }

  private readonly create = (): void => {
    this.room = createRoom();
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLInputElement>('#invite')?.select(),
    );
  };

  private readonly copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(this.link);
      showToast('Invite link copied', 'ok');
    } catch {
      this.renderRoot.querySelector<HTMLInputElement>('#invite')?.select();
      showToast('Press Ctrl+C (⌘C) to copy the selected link', 'warn');
    }
  };

  private readonly open = (): void => {
    if (!this.room) return;
    navigate(roomLink(this.room));
  };
}
customElements.define('bc-home', HomeView);
