/**
 * One tile of the call grid: video (or initials), the decrypted name, muted/camera-off marks, an
 * E2EE badge, and the active-speaker outline. Reports whether it is visible and how tall it is,
 * so the call can pause hidden consumers and pick a simulcast layer that fits.
 */
import { css, html, LitElement, nothing } from 'lit';
import { camOffIcon, lockIcon, micOffIcon } from './icons.js';
import type { E2eeHealth } from './names.js';
import { initials } from './names.js';
import { theme } from './theme.js';
import './MediaView.js';

export interface TileVisibilityDetail {
  readonly consumerId: string;
  readonly visible: boolean;
}
export interface TileSizeDetail {
  readonly consumerId: string;
  readonly pixels: number;
}

export class VideoTile extends LitElement {
  static override properties = {
    name: { type: String },
    track: { attribute: false },
    consumerId: { type: String },
    mirror: { type: Boolean },
    micMuted: { type: Boolean },
    camOff: { type: Boolean },
    mediaNote: { type: String },
    speaking: { type: Boolean, reflect: true },
    screen: { type: Boolean, reflect: true },
    health: { type: String },
    kid: { attribute: false },
  };
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        position: relative;
        aspect-ratio: 16 / 9;
        background: #05070a;
        border-radius: var(--radius);
        overflow: hidden;
        border: 2px solid transparent;
        transition: border-color 0.2s;
      }
      :host([speaking]) {
        border-color: var(--ok);
      }
      .avatar {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
      }
      .avatar span {
        width: 4.5rem;
        height: 4.5rem;
        border-radius: 50%;
        background: var(--panel-2);
        display: grid;
        place-items: center;
        font-size: 1.6rem;
        font-weight: 600;
      }
      .label {
        position: absolute;
        left: 0.5rem;
        bottom: 0.5rem;
        display: flex;
        align-items: center;
        gap: 0.35rem;
        background: #000a;
        padding: 0.2rem 0.55rem;
        border-radius: 999px;
        font-size: 0.9rem;
        max-width: calc(100% - 1rem);
      }
      .label .name {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .label svg {
        width: 16px;
        height: 16px;
        color: var(--danger);
        flex: none;
      }
      .note {
        position: absolute;
        left: 0.5rem;
        right: 0.5rem;
        top: 0.5rem;
        margin-right: 3.5rem;
        background: #000c;
        color: var(--warn);
        padding: 0.2rem 0.55rem;
        border-radius: var(--radius);
        font-size: 0.8rem;
      }
      .badge {
        position: absolute;
        top: 0.5rem;
        right: 0.5rem;
        display: flex;
        align-items: center;
        gap: 0.25rem;
        background: #000a;
        padding: 0.15rem 0.45rem;
        border-radius: 999px;
        font-size: 0.75rem;
      }
      .badge svg {
        width: 14px;
        height: 14px;
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
    `,
  ];
  declare name: string;
  declare track: MediaStreamTrack | null;
  declare consumerId: string;
  declare mirror: boolean;
  declare micMuted: boolean;
  declare camOff: boolean;
  /** What the server does with this person's media against their own word (mediaView.ts). */
  declare mediaNote: string;
  declare speaking: boolean;
  declare screen: boolean;
  declare health: E2eeHealth;
  declare kid: number | null;
  private intersection: IntersectionObserver | null = null;
  private resize: ResizeObserver | null = null;
  /** Last observations, re-reported when the tile gets (another) consumer. */
  private visible: boolean | null = null;
  private pixels = 0;

  constructor() {
    super();
    this.name = '';
    this.track = null;
    this.consumerId = '';
    this.mirror = false;
    this.micMuted = false;
    this.camOff = false;
    this.mediaNote = '';
    this.speaking = false;
    this.screen = false;
    this.health = 'waiting';
    this.kid = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.intersection = new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      this.reportVisibility();
    });
    this.intersection.observe(this);
    this.resize = new ResizeObserver((entries) => {
      const height = entries[0]?.contentRect.height ?? 0;
      this.pixels = Math.round(height * (window.devicePixelRatio || 1));
      this.reportSize();
    });
    this.resize.observe(this);
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    this.setAttribute('role', 'group');
    this.setAttribute('aria-label', this.describe());
    if (changed.has('consumerId')) {
      this.reportVisibility();
      this.reportSize();
    }
  }

  private describe(): string {
    const parts = [this.name];
    if (this.micMuted) parts.push('microphone off');
    if (this.camOff && !this.screen) parts.push('camera off');
    if (this.speaking) parts.push('speaking');
    if (this.mediaNote) parts.push(this.mediaNote);
    return parts.join(', ');
  }

  private reportVisibility(): void {
    if (this.consumerId && this.visible !== null) {
      this.fire<TileVisibilityDetail>('tile-visibility', {
        consumerId: this.consumerId,
        visible: this.visible,
      });
    }
  }

  private reportSize(): void {
    if (this.consumerId && this.pixels > 0) {
      this.fire<TileSizeDetail>('tile-size', { consumerId: this.consumerId, pixels: this.pixels });
    }
  }

  override disconnectedCallback(): void {
    this.intersection?.disconnect();
    this.resize?.disconnect();
    super.disconnectedCallback();
  }

  override render(): unknown {
    const showVideo = this.track !== null && !this.camOff;
    const status =
      this.health === 'ok'
        ? `End-to-end encrypted, key ${this.kid ?? '–'}`
        : this.health === 'failing'
          ? 'Frames from this person cannot be decrypted'
          : 'Exchanging keys';
    return html`${
        showVideo
          ? html`<bc-media
              .track=${this.track}
              ?mirror=${this.mirror}
              fit=${this.screen ? 'contain' : 'cover'}
            ></bc-media>`
          : html`<div class="avatar"><span aria-hidden="true">${initials(this.name)}</span></div>`
      }
      ${this.mediaNote ? html`<div class="note" data-test="tile-media-note">${this.mediaNote}</div>` : nothing}
      <div class="label">
        <span class="name" data-test="tile-name">${this.name}</span>
        ${this.micMuted ? html`<span title="Microphone off">${micOffIcon}</span><span class="visually-hidden">microphone off</span>` : nothing}
        ${this.camOff && !this.screen ? html`<span title="Camera off">${camOffIcon}</span><span class="visually-hidden">camera off</span>` : nothing}
      </div>
      <div
        class="badge ${this.health}"
        title=${status}
        data-test="tile-e2ee"
        data-health=${this.health}
      >
        ${lockIcon}<span class="visually-hidden">${status}</span>
      </div>`;
  }

  private fire<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }
}
customElements.define('bc-tile', VideoTile);
