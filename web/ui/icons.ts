/** Inline SVG icons (decorative: every button that uses one has its own text label). */
import { svg, type SVGTemplateResult } from 'lit';

const icon = (body: SVGTemplateResult): SVGTemplateResult =>
  svg`<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"
    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`;

export const micIcon = icon(
  svg`<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>`,
);
export const micOffIcon = icon(
  svg`<path d="M15 9.5V6a3 3 0 0 0-5.7-1.3M9 9v2a3 3 0 0 0 5 2.2M5 11a7 7 0 0 0 11.7 5.2M19 11a7 7 0 0 1-.4 2.3M12 18v3M3 3l18 18"/>`,
);
export const camIcon = icon(
  svg`<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3z"/>`,
);
export const camOffIcon = icon(
  svg`<path d="M16 16v1a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h2m4 0h5a1 1 0 0 1 1 1v3l5-3v10M3 3l18 18"/>`,
);
export const screenIcon = icon(
  svg`<rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4"/>`,
);
export const peopleIcon = icon(
  svg`<circle cx="9" cy="8" r="3"/><path d="M3 20a6 6 0 0 1 12 0"/><circle cx="17" cy="9" r="2.5"/><path d="M16 14a5 5 0 0 1 5 5"/>`,
);
export const chatIcon = icon(svg`<path d="M4 5h16v11H9l-5 4z"/>`);
export const shieldIcon = icon(
  svg`<path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z"/><path d="M9 12l2 2 4-4"/>`,
);
export const infoIcon = icon(svg`<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>`);
export const leaveIcon = icon(
  svg`<path d="M3 15c5-5 13-5 18 0l-2.5 2.5-3-1.5v-2.5a11 11 0 0 0-7 0V16l-3 1.5z"/>`,
);
export const lockIcon = icon(
  svg`<rect x="5" y="11" width="14" height="9" rx="2"/><path d="M8 11V8a4 4 0 0 1 8 0v3"/>`,
);
export const warningIcon = icon(svg`<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 18v.5"/>`);
