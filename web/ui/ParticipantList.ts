/** People in the call, from the encrypted roster: names, verification, microphone and camera state. */
import { css, html, LitElement, nothing } from 'lit';
import type { CallModel, Participant } from '../call/CallModel.js';
import { mediaNote, sourceView } from '../call/mediaView.js';
import { camOffIcon, micOffIcon } from './icons.js';
import { participantName } from './names.js';
import { theme } from './theme.js';

export class ParticipantList extends LitElement {
  static override properties = {
    model: { attribute: false },
    revision: { type: Number },
    selfName: { type: String },
  };
  static override styles = [
    theme,
    css`
      h2 {
        font-size: 1.05rem;
        margin: 0 0 0.6rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem;
        padding: 0.5rem 0;
        border-bottom: 1px solid var(--line);
      }
      .name {
        flex: 1;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .tag {
        font-size: 0.75rem;
        border-radius: 999px;
        padding: 0.05rem 0.45rem;
        border: 1px solid var(--line);
        color: var(--muted);
      }
      .tag.verified {
        color: var(--ok);
        border-color: var(--ok);
      }
      svg {
        width: 18px;
        height: 18px;
        color: var(--danger);
      }
      .note {
        flex-basis: 100%;
        font-size: 0.8rem;
        color: var(--warn);
      }
      .speaking .name {
        color: var(--ok);
      }
    `,
  ];
  declare model: CallModel | null;
  declare revision: number;
  declare selfName: string;

  constructor() {
    super();
    this.model = null;
    this.revision = 0;
    this.selfName = '';
  }

  override render(): unknown {
    const model = this.model;
    if (!model) return nothing;
    const others = [...model.participants.values()];
    return html`<h2 id="people-title">People (${others.length + 1})</h2>
      <ul aria-labelledby="people-title" data-test="participants">
        <li data-test="participant" data-self="true">
          <span class="name">${this.selfName} (you)</span>
          ${model.local.micOn ? nothing : html`<span title="Microphone off">${micOffIcon}</span>`}
          ${model.local.camOn ? nothing : html`<span title="Camera off">${camOffIcon}</span>`}
        </li>
        ${others.map((p) => this.renderPeer(model, p))}
      </ul>`;
  }

  private renderPeer(model: CallModel, p: Participant): unknown {
    const now = Date.now();
    const micOff = !sourceView(p, 'microphone', now).on;
    const camOff = !sourceView(p, 'camera', now).on;
    const note = mediaNote(p, now);
    const state =
      p.roster === null ? 'Exchanging keys…' : p.roster.verified ? 'Verified' : 'Not verified';
    return html`<li
      data-test="participant"
      data-peer=${p.peerId}
      class=${model.activeSpeaker === p.peerId ? 'speaking' : ''}
    >
      <span class="name">${participantName(p)}</span>
      <span class="tag ${p.roster?.verified ? 'verified' : ''}">${state}</span>
      ${micOff ? html`<span title="Microphone off">${micOffIcon}<span class="visually-hidden">microphone off</span></span>` : nothing}
      ${camOff ? html`<span title="Camera off">${camOffIcon}<span class="visually-hidden">camera off</span></span>` : nothing}
      ${note ? html`<span class="note" data-test="participant-media-note">${note}</span>` : nothing}
    </li>`;
  }
}
customElements.define('bc-participants', ParticipantList);
