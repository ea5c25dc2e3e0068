/** Shared look: colour tokens, buttons, focus rings. Imported by every component's styles. */
import { css } from 'lit';

export const theme = css`
  :host {
    --bg: #0f1115;
    --panel: #171a21;
    --panel-2: #1f2330;
    --line: #2c3242;
    --text: #e8eaf0;
    --muted: #9aa3b5;
    --accent: #5b8cff;
    --accent-text: #0b1020;
    --ok: #3ecf8e;
    --warn: #f5b74f;
    --danger: #ff5d6c;
    --radius: 12px;
    --focus: 0 0 0 3px #ffd166;
    color: var(--text);
    font-family:
      system-ui,
      -apple-system,
      'Segoe UI',
      Roboto,
      sans-serif;
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button,
  select,
  input {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--line);
    background: var(--panel-2);
    border-radius: 999px;
    padding: 0.55rem 1rem;
    min-height: 44px;
  }
  button:hover {
    border-color: var(--muted);
  }
  button.primary {
    background: var(--accent);
    color: var(--accent-text);
    border-color: var(--accent);
    font-weight: 600;
  }
  button.danger {
    background: var(--danger);
    color: #1a0508;
    border-color: var(--danger);
    font-weight: 600;
  }
  button:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  button:focus-visible,
  select:focus-visible,
  input:focus-visible,
  a:focus-visible,
  [tabindex]:focus-visible {
    outline: none;
    box-shadow: var(--focus);
  }
  input[type='text'],
  select {
    background: var(--panel-2);
    border: 1px solid var(--line);
    border-radius: 8px;
    padding: 0.55rem 0.7rem;
    min-height: 44px;
    width: 100%;
  }
  a {
    color: var(--accent);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .alert {
    border-radius: 8px;
    padding: 0.75rem 1rem;
    border: 1px solid var(--line);
    background: var(--panel-2);
    line-height: 1.4;
  }
  .alert.error {
    border-color: var(--danger);
    background: #2a1418;
  }
  .alert.warn {
    border-color: var(--warn);
    background: #2a2214;
  }
  .alert strong {
    display: block;
    margin-bottom: 0.2rem;
  }
`;
