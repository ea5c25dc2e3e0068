/** Layout of the pre-join page: preview beside the form, stacked at phone width. */
import { css } from 'lit';

export const preJoinStyles = css`
  :host {
    display: block;
    padding: 1.5rem 1rem 3rem;
  }
  .prejoin {
    display: grid;
    grid-template-columns: minmax(0, 1.4fr) minmax(0, 1fr);
    gap: 1.5rem;
    max-width: 68rem;
    margin: 0 auto;
    align-items: start;
  }
  @media (max-width: 760px) {
    .prejoin {
      grid-template-columns: 1fr;
    }
  }
  .video {
    aspect-ratio: 16 / 9;
    background: #000;
    border-radius: var(--radius);
    overflow: hidden;
    border: 1px solid var(--line);
  }
  .placeholder {
    height: 100%;
    display: grid;
    place-items: center;
    color: var(--muted);
  }
  .toggles {
    display: flex;
    gap: 0.5rem;
    justify-content: center;
    margin-top: 0.75rem;
  }
  .toggle.off {
    background: #3a1d22;
    border-color: var(--danger);
  }
  h1 {
    margin: 0 0 0.25rem;
    font-size: 1.6rem;
  }
  .room {
    color: var(--muted);
    margin: 0 0 1rem;
  }
  form {
    display: flex;
    flex-direction: column;
    gap: 0.4rem;
  }
  label {
    font-weight: 600;
    margin-top: 0.5rem;
  }
  label.remember {
    font-weight: 400;
    display: flex;
    align-items: center;
    gap: 0.4rem;
    min-height: 32px;
  }
  .hint {
    color: var(--muted);
    font-size: 0.85rem;
    margin: 0;
  }
  .join {
    margin-top: 1rem;
    font-size: 1.05rem;
  }
  .alerts {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    margin-bottom: 0.75rem;
  }
  details {
    margin-top: 1.5rem;
    color: var(--muted);
  }
  summary {
    cursor: pointer;
  }
`;
