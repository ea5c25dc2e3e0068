/**
 * The control bar: microphone, camera, screen share, the side panels, and leave. Every button has
 * a text label for screen readers, reflects its state with aria-pressed, and advertises its
 * keyboard shortcut (handled by the call view).
 */
import { css, html, LitElement, nothing, type SVGTemplateResult } from 'lit';
import {
  camIcon,
  camOffIcon,
  chatIcon,
  infoIcon,
  leaveIcon,
  micIcon,
  micOffIcon,
  peopleIcon,
  screenIcon,
  shieldIcon,
} from './icons.js';
import { theme } from './theme.js';

export type PanelName = 'people' | 'chat' | 'security' | 'protection';
export type ControlAction = 'mic' | 'camera' | 'screen' | 'leave' | PanelName;

export class CallControls extends LitElement {
  static override properties = {
    micOn: { type: Boolean },
    camOn: { type: Boolean },
    screenOn: { type: Boolean },
    panel: { type: String },
    unread: { type: Number },
    canShare: { type: Boolean },
  };
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        background: var(--panel);
        border-top: 1px solid var(--line);
        padding: 0.6rem 0.75rem calc(0.6rem + env(safe-area-inset-bottom));
      }
      nav {
        display: flex;
        gap: 0.5rem;
        justify-content: center;
        flex-wrap: wrap;
      }
      button {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
        position: relative;
      }
      button.off {
        background: #3a1d22;
        border-color: var(--danger);
      }
      button[aria-pressed='true'].panel {
        border-color: var(--accent);
        color: var(--accent);
      }
      .unread {
        position: absolute;
        top: -4px;
        right: -4px;
        background: var(--accent);
        color: var(--accent-text);
        border-radius: 999px;
        font-size: 0.7rem;
        padding: 0 0.35rem;
        min-width: 1.1rem;
      }
      kbd {
        font-size: 0.7rem;
        color: var(--muted);
        border: 1px solid var(--line);
        border-radius: 4px;
        padding: 0 0.25rem;
      }
      @media (max-width: 760px) {
        .text,
        kbd {
          display: none;
        }
        nav {
          gap: 0.25rem;
          flex-wrap: nowrap;
        }
        button {
          padding: 0.5rem 0.45rem;
        }
      }
    `,
  ];
  declare micOn: boolean;
  declare camOn: boolean;
  declare screenOn: boolean;
  declare panel: PanelName | null;
  declare unread: number;
  declare canShare: boolean;

  constructor() {
    super();
    this.micOn = true;
    this.camOn = true;
    this.screenOn = false;
    this.panel = null;
    this.unread = 0;
    this.canShare = typeof navigator.mediaDevices?.getDisplayMedia === 'function';
  }

  override render(): unknown {
    return html`<nav aria-label="Call controls">
      ${this.toggle('mic', this.micOn, this.micOn ? micIcon : micOffIcon, 'Microphone', 'm')}
      ${this.toggle('camera', this.camOn, this.camOn ? camIcon : camOffIcon, 'Camera', 'v')}
      ${
        this.canShare
          ? html`<button
              data-test="control-screen"
              aria-pressed=${this.screenOn}
              class=${this.screenOn ? 'panel' : ''}
              @click=${() => this.act('screen')}
            >
              ${screenIcon}<span class="text"
                >${this.screenOn ? 'Stop sharing' : 'Share screen'}</span
              >
            </button>`
          : nothing
      }
      ${this.panelButton('people', peopleIcon, 'People')}
      ${this.panelButton('chat', chatIcon, 'Chat', this.unread)}
      ${this.panelButton('security', shieldIcon, 'Security')}
      ${this.panelButton('protection', infoIcon, 'What is protected')}
      <button class="danger" data-test="control-leave" @click=${() => this.act('leave')}>
        ${leaveIcon}<span class="text">Leave</span
        ><span class="visually-hidden">Leave the call</span>
      </button>
    </nav>`;
  }

  private toggle(
    action: ControlAction,
    on: boolean,
    icon: SVGTemplateResult,
    label: string,
    key: string,
  ): unknown {
    return html`<button
      data-test="control-${action}"
      class=${on ? '' : 'off'}
      aria-pressed=${on}
      aria-keyshortcuts=${key}
      title="${label} (${key.toUpperCase()})"
      @click=${() => this.act(action)}
    >
      ${icon}<span class="text">${label}</span
      ><span class="visually-hidden">${on ? 'on' : 'off'}</span>
      <kbd aria-hidden="true">${key.toUpperCase()}</kbd>
    </button>`;
  }

  private panelButton(
    panel: PanelName,
    icon: SVGTemplateResult,
    label: string,
    badge = 0,
  ): unknown {
    const open = this.panel === panel;
    return html`<button
      class="panel"
      data-test="control-${panel}"
      aria-pressed=${open}
      aria-controls="side-panel"
      title=${label}
      @click=${() => this.act(panel)}
    >
      ${icon}<span class="text">${label}</span>
      ${
        badge > 0 && !open
          ? html`<span class="unread">${badge}</span
              ><span class="visually-hidden">${badge} unread</span>`
          : nothing
      }
    </button>`;
  }

  private act(action: ControlAction): void {
    this.dispatchEvent(
      new CustomEvent<ControlAction>('control', { detail: action, bubbles: true, composed: true }),
    );
  }
}
customElements.define('bc-controls', CallControls);
