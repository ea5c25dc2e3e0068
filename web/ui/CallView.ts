/**
 * The call screen: header with state and security code, the tile grid, the side panel (people,
 * chat, security, what is protected), the control bar, connection progress and the reconnecting
 * banner. Keyboard: M toggles the microphone, V the camera, Escape closes the side panel.
 */
import { html, LitElement, nothing } from 'lit';
import type { CallEngine, ScanResult } from '../call/CallEngine.js';
import type { Participant } from '../call/CallModel.js';
import { layerForHeight } from '../call/encodings.js';
import { securityState, type SecurityState } from '../call/securityState.js';
import { mediaNote, sourceView } from '../call/mediaView.js';
import { callViewStyles } from './callViewStyles.js';
import type { ControlAction, PanelName } from './CallControls.js';
import { lockIcon, shieldIcon, warningIcon } from './icons.js';
import { e2eeHealth, participantName } from './names.js';
import type { IdentityAnswerDetail } from './IdentityAlert.js';
import type { VerifyDetail } from './SecurityPanel.js';
import { theme } from './theme.js';
import { showToast } from './toast.js';
import type { TileSizeDetail, TileVisibilityDetail } from './VideoTile.js';
import './CallControls.js';
import './ChatPanel.js';
import './ConnectionStatus.js';
import './IdentityAlert.js';
import './InviteButton.js';
import './MediaView.js';
import './ParticipantList.js';
import './ProtectionInfo.js';
import './SecurityPanel.js';
import './VideoTile.js';

const PANEL_TITLES: Record<PanelName, string> = {
  people: 'People',
  chat: 'Chat',
  security: 'Security',
  protection: 'What is protected',
};

export class CallView extends LitElement {
  static override properties = {
    engine: { attribute: false },
    selfName: { type: String },
    inviteLink: { type: String },
    panel: { state: true },
    revision: { state: true },
  };
  static override styles = [theme, callViewStyles];
  declare engine: CallEngine | null;
  declare selfName: string;
  declare inviteLink: string;
  declare panel: PanelName | null;
  declare revision: number;
  private off: (() => void) | null = null;
  private readonly onKey = (e: KeyboardEvent): void => this.shortcut(e);

  constructor() {
    super();
    this.engine = null;
    this.selfName = '';
    this.inviteLink = '';
    this.panel = null;
    this.revision = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    window.removeEventListener('keydown', this.onKey);
    this.off?.();
    this.off = null;
    super.disconnectedCallback();
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('engine')) {
      this.off?.();
      this.off = this.engine?.model.on('change', () => this.revision++) ?? null;
    }
    if (this.panel === 'chat' && this.engine) this.engine.model.unreadChat = 0;
  }

  override render(): unknown {
    const model = this.engine?.model;
    if (!model) return nothing;
    const others = [...model.participants.values()];
    const tiles = 1 + others.length + (model.local.screenOn ? 1 : 0);
    const code = model.roomCode;
    return html`<div class="call" data-test="call" data-phase=${model.phase}>
      <header>
        <span class="title">blindcall</span>
        ${this.renderSecurityState(securityState(model))}
        ${
          code
            ? html`<button
                class="code"
                title="Security code — open the security panel"
                data-test="header-code"
                @click=${() => this.openPanel('security')}
              >
                ${code.glance}
                <span class="visually-hidden">Security code; open the security panel</span>
              </button>`
            : nothing
        }
        <bc-invite-button .link=${this.inviteLink}></bc-invite-button>
      </header>
      <bc-connection-status
        .phase=${model.phase}
        .waitingFor=${others.filter((p) => p.roster === null).length}
      ></bc-connection-status>
      <div class="body ${this.panel ? 'panel-open' : ''}">
        <main
          class="stage ${tiles === 1 ? 'one' : ''}"
          aria-label="Participants' video"
          data-test="grid"
          @tile-visibility=${this.onVisibility}
          @tile-size=${this.onSize}
        >
          ${this.renderSelf()} ${others.map((p) => this.renderParticipant(p, model.activeSpeaker))}
        </main>
        ${this.panel ? this.renderPanel(this.panel) : nothing}
      </div>
      <bc-controls
        .micOn=${model.local.micOn}
        .camOn=${model.local.camOn}
        .screenOn=${model.local.screenOn}
        .panel=${this.panel}
        .unread=${model.unreadChat}
        @control=${this.onControl}
      ></bc-controls>
      ${
        model.identityChanges[0]
          ? html`<bc-identity-alert
              .change=${model.identityChanges[0]}
              @identity-answer=${this.onIdentityAnswer}
            ></bc-identity-alert>`
          : nothing
      }
      <div class="audio">
        ${others.map((p) => (p.feeds.microphone ? html`<bc-media data-peer=${p.peerId} .track=${p.feeds.microphone.track}></bc-media>` : nothing))}
      </div>
    </div>`;
  }

  /** The header's security state; a warning is a button that opens the security panel. */
  private renderSecurityState(state: SecurityState): unknown {
    const model = this.engine!.model;
    if (state.level === 'pending') {
      return html`<span class="state pending" data-test="call-state" data-security="pending">
        ${phaseText[model.phase] ?? ''}
      </span>`;
    }
    if (state.level === 'warning') {
      return html`<button
        class="state warning"
        data-test="call-state"
        data-security="warning"
        title=${state.detail}
        @click=${() => this.openPanel('security')}
      >
        ${warningIcon} ${state.label}
        <span class="visually-hidden">: ${state.alerts.join(' ')} Open the security panel.</span>
      </button>`;
    }
    return html`<span
      class="state ${state.level}"
      data-test="call-state"
      data-security=${state.level}
      title=${state.detail}
    >
      ${state.level === 'verified' ? shieldIcon : lockIcon} ${state.label}
    </span>`;
  }

  private renderSelf(): unknown {
    const local = this.engine!.model.local;
    const self = html`<bc-tile
      data-test="tile"
      data-self="true"
      .name=${`${this.selfName} (you)`}
      .track=${local.camera}
      mirror
      .micMuted=${!local.micOn}
      .camOff=${!local.camOn}
      .health=${local.e2ee.frames > 0 ? 'ok' : 'waiting'}
      .kid=${this.engine!.model.localKid}
    ></bc-tile>`;
    const screen = local.screen
      ? html`<bc-tile
          data-test="tile"
          data-self="true"
          screen
          .name=${'Your screen'}
          .track=${local.screen}
          .health=${'ok'}
          .kid=${this.engine!.model.localKid}
        ></bc-tile>`
      : nothing;
    return html`${self}${screen}`;
  }

  private renderParticipant(p: Participant, speaker: string | null): unknown {
    const cam = p.feeds.camera;
    const screen = p.feeds.screen;
    const health = e2eeHealth(p);
    const name = participantName(p);
    const now = Date.now();
    return html`<bc-tile
        data-test="tile"
        data-peer=${p.peerId}
        .name=${name}
        .track=${cam && !cam.producerPaused ? cam.track : null}
        .consumerId=${cam?.consumerId ?? ''}
        .micMuted=${!sourceView(p, 'microphone', now).on}
        .camOff=${!sourceView(p, 'camera', now).on}
        .mediaNote=${mediaNote(p, now)}
        ?speaking=${speaker === p.peerId}
        .health=${health}
        .kid=${p.e2ee.kid}
      ></bc-tile>
      ${
        screen
          ? html`<bc-tile
              data-test="tile"
              data-peer=${p.peerId}
              screen
              .name=${`${name} (screen)`}
              .track=${screen.track}
              .consumerId=${screen.consumerId}
              .camOff=${screen.producerPaused}
              .health=${health}
              .kid=${p.e2ee.kid}
            ></bc-tile>`
          : nothing
      }`;
  }

  private renderPanel(panel: PanelName): unknown {
    const engine = this.engine!;
    const model = engine.model;
    const body = {
      people: () =>
        html`<bc-participants
          .model=${model}
          .revision=${this.revision}
          .selfName=${this.selfName}
        ></bc-participants>`,
      chat: () =>
        html`<bc-chat
          .model=${model}
          .revision=${this.revision}
          @chat-send=${this.onChat}
        ></bc-chat>`,
      security: () =>
        html`<bc-security
          .model=${model}
          .revision=${this.revision}
          .scanner=${this.scanIdentity}
          @verify=${this.onVerify}
        ></bc-security>`,
      protection: () => html`<bc-protection></bc-protection>`,
    }[panel];
    return html`<aside id="side-panel" aria-label=${PANEL_TITLES[panel]} data-test="panel-${panel}">
      <button
        class="close"
        @click=${() => (this.panel = null)}
        aria-label="Close ${PANEL_TITLES[panel]}"
      >
        ✕
      </button>
      ${body()}
    </aside>`;
  }

  private openPanel(panel: PanelName): void {
    this.panel = this.panel === panel ? null : panel;
  }

  private readonly onControl = (e: CustomEvent<ControlAction>): void => {
    const engine = this.engine;
    if (!engine) return;
    const local = engine.model.local;
    const fail = (what: string) => () => showToast(`Could not ${what}`, 'error');
    switch (e.detail) {
      case 'mic':
        return void engine.setMicrophone(!local.micOn).catch(fail('change the microphone'));
      case 'camera':
        return void engine.setCamera(!local.camOn).catch(fail('change the camera'));
      case 'screen':
        return void engine.setScreenShare(!local.screenOn).catch(fail('share the screen'));
      case 'leave':
        this.dispatchEvent(new CustomEvent('leave', { bubbles: true, composed: true }));
        return;
      default:
        return this.openPanel(e.detail);
    }
  };

  private readonly onChat = (e: CustomEvent<string>): void => {
    this.engine
      ?.sendChat(e.detail)
      .catch(() => showToast('The message could not be sent', 'error'));
  };

  private readonly scanIdentity = (signal: AbortSignal): Promise<ScanResult> =>
    this.engine ? this.engine.scanIdentity(signal) : Promise.resolve({ kind: 'no-camera' });

  private readonly onVerify = (e: CustomEvent<VerifyDetail>): void => {
    this.engine?.markVerified(e.detail.peerId, e.detail.verified).catch(() => undefined);
  };

  private readonly onIdentityAnswer = (e: CustomEvent<IdentityAnswerDetail>): void => {
    const { peerId, answer } = e.detail;
    this.engine?.acknowledgeIdentityChange(peerId);
    if (answer === 'compare') this.panel = 'security';
    else if (answer === 'leave') this.onControl(new CustomEvent('control', { detail: 'leave' }));
  };

  private readonly onVisibility = (e: CustomEvent<TileVisibilityDetail>): void => {
    this.engine?.setFeedVisible(e.detail.consumerId, e.detail.visible);
  };

  private readonly onSize = (e: CustomEvent<TileSizeDetail>): void => {
    this.engine?.setFeedLayer(e.detail.consumerId, layerForHeight(e.detail.pixels));
  };

  private shortcut(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const target = e.composedPath()[0];
    if (
      target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    )
      return;
    const key = e.key.toLowerCase();
    if (key === 'escape' && this.panel) this.panel = null;
    else if (key === 'm') this.onControl(new CustomEvent('control', { detail: 'mic' }));
    else if (key === 'v') this.onControl(new CustomEvent('control', { detail: 'camera' }));
    else return;
    e.preventDefault();
  }
}

const phaseText: Partial<Record<string, string>> = {
  connecting: 'Connecting…',
  joining: 'Joining…',
  keys: 'Exchanging keys…',
  reconnecting: 'Reconnecting…',
  left: 'You left the call',
  failed: 'Call failed',
};

customElements.define('bc-call', CallView);
