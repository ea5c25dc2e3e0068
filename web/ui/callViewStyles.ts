/** Layout of the call: header, responsive tile grid, side panel (full screen at phone width), controls. */
import { css } from 'lit';

export const callViewStyles = css`
  :host {
    display: block;
    height: 100vh;
    height: 100dvh;
  }
  .call {
    display: grid;
    grid-template-rows: auto auto 1fr auto;
    height: 100%;
    position: relative;
  }
  header {
    display: flex;
    align-items: center;
    gap: 0.75rem;
    padding: 0.5rem 1rem;
    border-bottom: 1px solid var(--line);
    background: var(--panel);
    min-height: 48px;
  }
  header .title {
    font-weight: 700;
  }
  header .state {
    font-size: 0.85rem;
    color: var(--ok);
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
  }
  header .state svg {
    width: 16px;
    height: 16px;
  }
  header .state.pending {
    color: var(--warn);
  }
  header .state.unverified {
    color: var(--muted);
  }
  header button.state.warning {
    color: var(--danger);
    background: none;
    border: 1px solid currentColor;
    border-radius: var(--radius);
    padding: 0.2rem 0.5rem;
    font-weight: 700;
    cursor: pointer;
  }
  header .code {
    margin-left: auto;
    background: none;
    border: 1px solid var(--line);
    min-height: 36px;
    padding: 0.2rem 0.7rem;
    font-size: 1rem;
  }
  .body {
    display: flex;
    min-height: 0;
  }
  .stage {
    flex: 1;
    overflow-y: auto;
    padding: 0.75rem;
    display: grid;
    gap: 0.75rem;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr));
    align-content: center;
  }
  .stage.one {
    grid-template-columns: minmax(0, 960px);
    justify-content: center;
  }
  .stage bc-tile[screen] {
    grid-column: 1 / -1;
    aspect-ratio: auto;
    height: min(62vh, 56vw);
  }
  aside {
    width: 360px;
    flex: none;
    border-left: 1px solid var(--line);
    background: var(--panel);
    overflow-y: auto;
    padding: 1rem;
    display: flex;
    flex-direction: column;
    position: relative;
  }
  aside .close {
    position: absolute;
    top: 0.5rem;
    right: 0.5rem;
    min-height: 36px;
    padding: 0.2rem 0.7rem;
  }
  @media (max-width: 760px) {
    header .title {
      display: none;
    }
    .stage {
      grid-template-columns: repeat(auto-fit, minmax(min(100%, 160px), 1fr));
      padding: 0.5rem;
      gap: 0.5rem;
    }
    /* The panel covers the whole screen: hide the grid, which also pauses its video consumers. */
    .body.panel-open .stage {
      display: none;
    }
    aside {
      flex: 1;
      width: auto;
      border-left: none;
    }
  }
  .audio {
    display: none;
  }
`;
