/**
 * The app shell and router: home, the pre-join page of a room, the call itself, and the pages for
 * links without a secret and unknown paths. Owns the local media of the pre-join page and the
 * call engine, so each lives exactly as long as its page.
 */
import { css, html, LitElement, nothing } from 'lit';
import { LocalMedia } from '../call/LocalMedia.js';
import { detectTransformMode } from '../e2ee/support.js';
import { parseRoute, type Route } from '../util/route.js';
import { secretProblemCopy, type Explanation } from './copy.js';
import { NAVIGATE_EVENT, navigate } from './navigation.js';
import type { JoinRequest } from './PreJoinView.js';
import { theme } from './theme.js';
import './HomeView.js';
import './PreJoinView.js';
import './Toasts.js';

export class AppShell extends LitElement {
  static override properties = {
    route: { state: true },
    joinProblem: { state: true },
    joining: { state: true },
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
  private media: LocalMedia | null = null;
  private readonly transformMode = detectTransformMode();
  private readonly onLocationChange = (): void => this.readLocation();

  constructor() {
    super();
    this.route = { name: 'home' };
    this.joinProblem = null;
    this.joining = false;
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
    const route = parseRoute(location.pathname, location.hash);
    const sameRoom =
      route.name === 'room' && this.route.name === 'room' && route.roomId === this.route.roomId;
    if (!sameRoom) this.leaveRoomPage();
    this.route = route;
    if (route.name === 'room' && !this.media) {
      this.media = new LocalMedia();
      void this.media.start();
    }
  }

  override render(): unknown {
    const route = this.route;
    switch (route.name) {
      case 'home':
        return html`<bc-home></bc-home><bc-toasts></bc-toasts>`;
      case 'room':
        return html`${this.renderRoom(route.roomId)}<bc-toasts></bc-toasts>`;
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

  private renderRoom(roomId: string): unknown {
    return html`<bc-prejoin
      .roomId=${roomId}
      .media=${this.media}
      .supported=${this.transformMode !== null}
      .problem=${this.joinProblem}
      .busy=${this.joining}
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

  private join(_request: JoinRequest): void {
    // Wired to the call engine in the next step.
    this.joinProblem = null;
    this.joining = false;
    void nothing;
  }

  private leaveRoomPage(): void {
    this.joinProblem = null;
    this.releaseMedia();
  }

  private releaseMedia(): void {
    this.media?.close();
    this.media = null;
  }
}
customElements.define('bc-app', AppShell);
