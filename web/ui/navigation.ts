/** Client-side navigation: pushState plus one event the app shell listens to. */

export const NAVIGATE_EVENT = 'bc-navigate';

export function navigate(url: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}
