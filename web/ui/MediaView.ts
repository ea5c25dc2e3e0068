/** A <video> or <audio> element bound to one MediaStreamTrack (srcObject is not an attribute). */
import { css, html, LitElement, type PropertyValues } from 'lit';

export class MediaView extends LitElement {
  static override properties = {
    track: { attribute: false },
    mirror: { type: Boolean, reflect: true },
    fit: { type: String, reflect: true },
  };
  static override styles = css`
    :host {
      display: block;
      width: 100%;
      height: 100%;
    }
    video {
      width: 100%;
      height: 100%;
      object-fit: cover;
      display: block;
      background: #000;
    }
    :host([fit='contain']) video {
      object-fit: contain;
    }
    :host([mirror]) video {
      transform: scaleX(-1);
    }
  `;
  declare track: MediaStreamTrack | null;
  declare mirror: boolean;
  declare fit: 'cover' | 'contain';

  constructor() {
    super();
    this.track = null;
    this.mirror = false;
    this.fit = 'cover';
  }

  override render(): unknown {
    return this.track?.kind === 'audio'
      ? html`<audio autoplay></audio>`
      : html`<video autoplay playsinline muted></video>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('track')) return;
    const el = this.renderRoot.querySelector<HTMLMediaElement>('video, audio');
    if (!el) return;
    const current = (el.srcObject as MediaStream | null)?.getTracks()[0] ?? null;
    if (current === this.track) return;
    el.srcObject = this.track ? new MediaStream([this.track]) : null;
    if (this.track) void el.play().catch(() => undefined);
  }
}
customElements.define('bc-media', MediaView);
