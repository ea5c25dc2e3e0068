/** A tiny toast bus: any module can announce something short; <bc-toasts> shows it. */

export type ToastKind = 'info' | 'ok' | 'warn' | 'error';
export interface Toast {
  readonly id: number;
  readonly kind: ToastKind;
  readonly text: string;
}

export const TOAST_EVENT = 'bc-toast';
let nextId = 0;

export function showToast(text: string, kind: ToastKind = 'info'): void {
  const toast: Toast = { id: ++nextId, kind, text };
  window.dispatchEvent(new CustomEvent<Toast>(TOAST_EVENT, { detail: toast }));
}
