/**
 * Pre-join: name, camera/microphone preview, device pickers and on/off switches, and Join.
 * Explains every state that stops or limits joining: no permission, no device, a browser without
 * encoded transforms (Join disabled: we never send media the server could read), and failed join
 * attempts handed back by the shell (server unreachable, room full).
 */
import { html, LitElement, nothing } from 'lit';
import type { LocalMedia, LocalSource } from '../call/LocalMedia.js';
import { mediaProblemCopy, NO_TRANSFORMS, type Explanation } from './copy.js';
import { readRememberedName, rememberName } from '../identity/rememberedName.js';
import { theme } from './theme.js';
import { preJoinStyles } from './preJoinStyles.js';
import './IdentityControl.js';
import './MediaView.js';

export interface JoinRequest {
  readonly displayName: string;
}

export const DISPLAY_NAME_MAX = 64;
export class PreJoinView extends LitElement {
  static override properties = {
    roomId: { type: String },
    media: { attribute: false },
    supported: { type: Boolean },
    problem: { attribute: false },
    busy: { type: Boolean },
    lastName: { attribute: false },
    name: { state: true },
    remember: { state: true },
    revision: { state: true },
  };
  static override styles = [theme, preJoinStyles];
  declare roomId: string;
  declare media: LocalMedia | null;
  declare supported: boolean;
  declare problem: Explanation | null;
  declare busy: boolean;
  /**
   * The name of this page's last join attempt. The shell re-creates this view after an attempt
   * fails (or after Leave → Rejoin); without it the field would come back empty whenever the
   * name is not remembered on the device, and Join with it.
   */
  declare lastName: string;
  declare name: string;
  declare remember: boolean;
  declare revision: number;
  private offMedia: (() => void) | null = null;

  constructor() {
    super();
    this.roomId = '';
    this.media = null;
    this.supported = true;
    this.problem = null;
    this.busy = false;
    this.lastName = '';
    this.name = readRememberedName();
    // Ticked only if the person chose to be remembered before (their name is stored).
    this.remember = this.name !== '';
    this.revision = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.subscribe();
  }

  override disconnectedCallback(): void {
    this.offMedia?.();
    this.offMedia = null;
    super.disconnectedCallback();
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('media')) this.subscribe();
    if (changed.has('lastName') && this.lastName !== '' && this.name === '') {
      this.name = this.lastName;
    }
  }

  private subscribe(): void {
    this.offMedia?.();
    this.offMedia = this.media?.on('change', () => this.revision++) ?? null;
  }

  override render(): unknown {
    const media = this.media;
    const cam = media?.camera;
    const mic = media?.microphone;
    return html`<main class="prejoin" data-test="prejoin">
      <section class="preview" aria-label="Camera preview">
        <div class="video">
          ${
            cam?.track
              ? html`<bc-media mirror .track=${cam.track} data-test="preview-video"></bc-media>`
              : html`<div class="placeholder">
                  ${cam?.enabled === false ? 'Camera is off' : 'No camera'}
                </div>`
          }
        </div>
        <div class="toggles">
          ${this.toggle('microphone', mic?.enabled ?? false, 'Microphone')}
          ${this.toggle('camera', cam?.enabled ?? false, 'Camera')}
        </div>
      </section>
      <section class="form">
        <h1>Join the call</h1>
        <p class="room">Room <code>${this.roomId}</code> · end-to-end encrypted</p>
        ${this.renderAlerts()}
        <form @submit=${this.submit}>
          <label for="name">Your name</label>
          <input
            id="name"
            type="text"
            autocomplete="nickname"
            maxlength=${DISPLAY_NAME_MAX}
            .value=${this.name}
            data-test="display-name"
            placeholder="How others see you"
            @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}
          />
          <p class="hint">Encrypted before it leaves this browser: the server never sees it.</p>
          <label class="remember">
            <input
              type="checkbox"
              data-test="remember-name"
              .checked=${this.remember}
              @change=${(e: Event) => (this.remember = (e.target as HTMLInputElement).checked)}
            />
            Remember my name on this device
          </label>
          ${this.devicePicker('camera', 'Camera')} ${this.devicePicker('microphone', 'Microphone')}
          <button
            class="primary join"
            type="submit"
            data-test="join"
            ?disabled=${!this.supported || this.busy || this.name.trim() === ''}
          >
            ${this.busy ? 'Joining…' : 'Join'}
          </button>
        </form>
        <details>
          <summary>This device’s identity</summary>
          <bc-identity-control></bc-identity-control>
        </details>
      </section>
    </main>`;
  }

  private renderAlerts(): unknown {
    const alerts: Explanation[] = [];
    if (!this.supported) alerts.push(NO_TRANSFORMS);
    if (this.problem) alerts.push(this.problem);
    const camProblem = this.media?.camera.problem;
    const micProblem = this.media?.microphone.problem;
    if (camProblem) alerts.push(mediaProblemCopy('camera', camProblem));
    if (micProblem) alerts.push(mediaProblemCopy('microphone', micProblem));
    if (alerts.length === 0) return nothing;
    return html`<div class="alerts" role="alert">
      ${alerts.map(
        (a, i) =>
          html`<div
            class="alert ${i === 0 && (!this.supported || this.problem) ? 'error' : 'warn'}"
            data-test="alert"
            data-code=${a.code}
          >
            <strong>${a.title}</strong>${a.body}
          </div>`,
      )}
    </div>`;
  }

  private toggle(source: LocalSource, on: boolean, label: string): unknown {
    const problem = this.media?.[source].problem;
    return html`<button
      type="button"
      class="toggle ${on ? 'on' : 'off'}"
      aria-pressed=${on}
      data-test="toggle-${source}"
      ?disabled=${!this.media || (problem !== null && problem !== undefined && !on)}
      @click=${() => void this.media?.setEnabled(source, !on)}
    >
      ${label} ${on ? 'on' : 'off'}
    </button>`;
  }

  private devicePicker(source: LocalSource, label: string): unknown {
    const list = source === 'camera' ? this.media?.cameras : this.media?.microphones;
    if (!list || list.length === 0) return nothing;
    const current = this.media?.[source].deviceId ?? '';
    return html`<label for="pick-${source}">${label}</label>
      <select
        id="pick-${source}"
        data-test="pick-${source}"
        @change=${(e: Event) => void this.media?.selectDevice(source, (e.target as HTMLSelectElement).value)}
      >
        ${list.map((d) => html`<option value=${d.deviceId} ?selected=${d.deviceId === current}>${d.label}</option>`)}
      </select>`;
  }

  private readonly submit = (event: Event): void => {
    event.preventDefault();
    const displayName = this.name.trim().slice(0, DISPLAY_NAME_MAX);
    if (!this.supported || this.busy || displayName === '') return;
    rememberName(displayName, this.remember);
    this.dispatchEvent(new CustomEvent<JoinRequest>('join', { detail: { displayName } }));
  };
}

customElements.define('bc-prejoin', PreJoinView);
