/**
 * A QR code as one SVG path (no canvas, no inline script or data URL, so it passes the page's
 * Content Security Policy). Dark on white whatever the theme: scanners need the contrast.
 */
import { LitElement, css, html, svg, nothing } from 'lit';
import { QR_QUIET_ZONE, qrMatrix } from '../identity/qrMatrix.js';

export class QrCode extends LitElement {
  static override properties = {
    text: { type: String },
    label: { type: String },
  };
  static override styles = css`
    :host {
      display: inline-block;
      width: 11rem;
      max-width: 100%;
    }
    svg {
      display: block;
      width: 100%;
      height: auto;
      background: #fff;
      border-radius: 6px;
    }
  `;
  declare text: string;
  declare label: string;
  private cached: { text: string; path: string; size: number } | null = null;

  constructor() {
    super();
    this.text = '';
    this.label = 'QR code';
  }

  override render(): unknown {
    if (!this.text) return nothing;
    if (this.cached?.text !== this.text) this.cached = { text: this.text, ...pathOf(this.text) };
    const { path, size } = this.cached;
    return html`<svg
      viewBox="0 0 ${size} ${size}"
      role="img"
      aria-label=${this.label}
      shape-rendering="crispEdges"
    >
      ${svg`<path d=${path} fill="#000"></path>`}
    </svg>`;
  }
}

function pathOf(text: string): { path: string; size: number } {
  const m = qrMatrix(text);
  const parts: string[] = [];
  m.forEach((row, r) =>
    row.forEach((dark, c) => {
      if (dark) parts.push(`M${c + QR_QUIET_ZONE} ${r + QR_QUIET_ZONE}h1v1h-1z`);
    }),
  );
  return { path: parts.join(''), size: m.length + 2 * QR_QUIET_ZONE };
}

customElements.define('bc-qr-code', QrCode);
