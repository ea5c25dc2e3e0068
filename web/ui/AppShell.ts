/**
 * The app shell and router: home, the pre-join page of a room, the call itself, and the pages for
 * links without a secret and unknown paths. Owns the local media of the pre-join page and the
 * call engine, so each lives exactly as long as its page.
 */
import { css, html, LitElement } from 'lit';
import { CallEngine, JoinError } from '../call/CallEngine.js';
import { installDebugSurface } from '../call/debugSurface.js';
import { LocalMedia } from '../call/LocalMedia.js';
import { IdentityStore } from '../identity/IdentityStore.js';
import { detectTransformMode } from '../e2ee/support.js';
import { loadClientConfig } from '../config/clientConfig.js';
import { forgetSecrets, readAddressBar } from '../util/addressBar.js';
import { createLogger, errorName } from '../util/logger.js';
import { inviteLink, type Route } from '../util/route.js';
import { configProblemCopy, joinProblemCopy, secretProblemCopy, type Explanation } from './copy.js';
import { NAVIGATE_EVENT, navigate } from './navigation.js';
import type { JoinRequest } from './PreJoinView.js';
import { theme } from './theme.js';
import './CallView.js';
import './HomeView.js';
import './PreJoinView.js';
import './Toasts.js';

const log = createLogger('AppShell');

export class AppShell extends LitElement {
  static override properties = {
    route: { state: true },
    joinProblem: { state: true },
    joining: { state: true },
    view: { state: true },
  };
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--bg);
      }
      .page {
        max-width: 40rem;
        margin: 3rem auto;
        padding: 0 1rem;
      }
    `,
  ];
  declare route: Route;
  declare joinProblem: Explanation | null;
  declare joining: boolean;
  /** Within a room page: the pre-join form, the call, or the page after leaving. */
  declare view: 'prejoin' | 'call' | 'left';
  private media: LocalMedia | null = null;
  private engine: CallEngine | null = null;
  private displayName = '';
  private readonly transformMode = detectTransformMode();
  private readonly onLocationChange = (): void => this.readLocation();

  constructor() {
    super();
    this.route = { name: 'home' };
    this.joinProblem = null;
    this.joining = false;
    this.view = 'prejoin';
    installDebugSurface(() => this.engine, this.transformMode);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onLocationChange);
    window.addEventListener('hashchange', this.onLocationChange);
    window.addEventListener(NAVIGATE_EVENT, this.onLocationChange);
    this.readLocation();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('popstate', this.onLocationChange);
    window.removeEventListener('hashchange', this.onLocationChange);
    window.removeEventListener(NAVIGATE_EVENT, this.onLocationChange);
    this.releaseMedia();
    super.disconnectedCallback();
  }

  private readLocation(): void {
    const route = readAddressBar();
    const sameRoom =
      route.name === 'room' && this.route.name === 'room' && route.roomId === this.route.roomId;
    if (!sameRoom) {
      this.leaveRoomPage();
      forgetSecrets(route.name === 'room' ? route.roomId : undefined);
    }
    this.route = route;
    if (route.name === 'room') this.ensureMedia();
  }

  private ensureMedia(): void {
    if (this.media) return;
    this.media = new LocalMedia();
    void this.media.start();
  }

  override render(): unknown {
    const route = this.route;
    switch (route.name) {
      case 'home':
        return html`<bc-home></bc-home><bc-toasts></bc-toasts>`;
      case 'room':
        return html`${this.renderRoom(route.roomId, route.secret)}<bc-toasts></bc-toasts>`;
      case 'room-without-secret':
        return this.renderProblemPage(secretProblemCopy(route.problem));
      case 'not-found':
        return this.renderProblemPage({
          code: 'not-found',
          title: 'Page not found',
          body: 'This address is not a blindcall page.',
        });
    }
  }

  private renderRoom(roomId: string, secret: Uint8Array): unknown {
    if (this.view === 'call' && this.engine) {
      return html`<bc-call
        .engine=${this.engine}
        .selfName=${this.displayName}
        .inviteLink=${inviteLink(location.origin, { roomId, secret })}
        @leave=${this.leave}
      ></bc-call>`;
    }
    if (this.view === 'left') {
      return html`<main class="page" data-test="left">
        <h1>You left the call</h1>
        <p>
          <button class="primary" data-test="rejoin" @click=${this.backToPreJoin}>Rejoin</button>
          <button @click=${() => navigate('/')}>Home</button>
        </p>
      </main>`;
    }
    return html`<bc-prejoin
      .roomId=${roomId}
      .media=${this.media}
      .supported=${this.transformMode !== null}
      .problem=${this.joinProblem}
      .busy=${this.joining}
      .lastName=${this.displayName}
      @join=${(e: CustomEvent<JoinRequest>) => this.join(e.detail)}
    ></bc-prejoin>`;
  }

  private renderProblemPage(problem: Explanation): unknown {
    return html`<main class="page">
      <div class="alert error" role="alert" data-test="alert" data-code=${problem.code}>
        <strong>${problem.title}</strong>${problem.body}
      </div>
      <p><button class="primary" @click=${() => navigate('/')}>Start a new call</button></p>
    </main>`;
  }

  private async join(request: JoinRequest): Promise<void> {
    const route = this.route;
    if (route.name !== 'room' || !this.media || !this.transformMode || this.joining) return;
    this.joining = true;
    this.joinProblem = null;
    this.displayName = request.displayName;
    let serverUrl: string;
    try {
      serverUrl = (await loadClientConfig()).sfuUrl;
    } catch (err) {
      this.joinProblem = configProblemCopy(err instanceof Error ? err.message : String(err));
      this.joining = false;
      return;
    }
    let engine: CallEngine;
    try {
      const identity = await new IdentityStore().loadOrCreate();
      engine = new CallEngine({
        serverUrl,
        roomId: route.roomId,
        roomSecret: route.secret,
        identity: identity.secretKey,
        displayName: request.displayName,
        mode: this.transformMode,
        local: this.media,
      });
    } catch (err) {
      // Before the call view exists, a failure is shown on this form, never swallowed.
      log.warn('join could not start', { error: errorName(err) });
      this.joinProblem = joinProblemCopy('internal');
      this.joining = false;
      return;
    }
    try {
      this.engine = engine;
      this.view = 'call';
      await engine.start();
    } catch (err) {
      if (this.engine !== engine) return; // the person left (or navigated away) while joining
      this.engine = null;
      this.view = 'prejoin';
      this.joinProblem =
        err instanceof JoinError
          ? joinProblemCopy(err.problem, detailFor(err))
          : joinProblemCopy('internal');
    } finally {
      this.joining = false;
    }
  }

  private readonly leave = async (): Promise<void> => {
    const engine = this.engine;
    this.engine = null;
    this.view = 'left';
    await engine?.leave();
    this.releaseMedia();
  };

  private readonly backToPreJoin = (): void => {
    this.view = 'prejoin';
    this.ensureMedia();
  };

  private leaveRoomPage(): void {
    this.joinProblem = null;
    this.view = 'prejoin';
    const engine = this.engine;
    this.engine = null;
    void engine?.leave();
    this.releaseMedia();
  }

  private releaseMedia(): void {
    this.media?.close();
    this.media = null;
  }
}
/** Server messages add detail only where our own copy has none to give. */
function detailFor(err: JoinError): string | undefined {
  return err.problem === 'rejected' || err.problem === 'internal' ? err.message : undefined;
}

customElements.define('bc-app', AppShell);
