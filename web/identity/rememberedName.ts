/**
 * The display name, remembered on this device only when the person ticks "Remember my name"
 * (localStorage, until they untick it). Without that choice nothing about them is stored: the name
 * lives in the call's memory and, encrypted, in its roster.
 */
const KEY = 'blindcall:displayName';

export function readRememberedName(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return ''; // storage disabled
  }
}

/** Stores the name when `remember`, and otherwise removes any name stored before. */
export function rememberName(name: string, remember: boolean): void {
  try {
    if (remember) localStorage.setItem(KEY, name);
    else localStorage.removeItem(KEY);
  } catch {
    // Storage disabled: nothing is remembered, which is what not remembering means.
  }
}
