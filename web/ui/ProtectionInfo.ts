/** "What is protected": a short, plain-language account of what the server can and cannot see. */
import { css, html, LitElement } from 'lit';
import { theme } from './theme.js';

export class ProtectionInfo extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: block;
      }
      h2 {
        font-size: 1.05rem;
        margin: 0 0 0.6rem;
      }
      h3 {
        font-size: 0.95rem;
        margin: 0.9rem 0 0.3rem;
      }
      ul {
        margin: 0;
        padding-left: 1.2rem;
        line-height: 1.5;
      }
      .yes h3 {
        color: var(--ok);
      }
      .no h3 {
        color: var(--warn);
      }
      p {
        color: var(--muted);
        line-height: 1.5;
        margin: 0.6rem 0 0;
      }
    `,
  ];

  override render(): unknown {
    return html`<section aria-labelledby="protection-title" data-test="protection-info">
      <h2 id="protection-title">What is protected</h2>
      <div class="yes">
        <h3>End-to-end encrypted — only people with the link can read it</h3>
        <ul>
          <li>Your audio, video and screen share</li>
          <li>Your name</li>
          <li>Chat messages</li>
        </ul>
      </div>
      <div class="no">
        <h3>What the server still sees</h3>
        <ul>
          <li>Who connects, from which network address, and when</li>
          <li>How much data each person sends and receives</li>
          <li>Which anonymous participant ids are in which room</li>
          <li>
            Who is talking when (audio loudness stays readable so it can highlight the speaker)
          </li>
          <li>Whether a camera or microphone is switched off</li>
        </ul>
      </div>
      <p>
        The secret that protects the call is the part of the link after “#”. Browsers never send it
        to the server, so share the link only with the people you want in the call. Compare the
        security code with them to be sure nobody else is listening.
      </p>
    </section>`;
  }
}
customElements.define('bc-protection', ProtectionInfo);
