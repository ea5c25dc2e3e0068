/**
 * HTTP headers for every file of the web client, from whichever server hosts it: the SFU itself
 * (StaticFiles) or a separate static origin (scripts/client/serve-client.ts, or the nginx/Caddy
 * lines in docs/hosting.md, which must say the same).
 *
 * - CSP: scripts and the (inlined, blob:) frame worker only from this origin, never inline or
 *   eval, signalling only to the SFU, no plugins, no framing (clickjacking the verify switch).
 * - No referrer, camera/microphone/screen only for this origin, COOP so no other window holds a
 *   reference to the call, no MIME sniffing, and resources not embeddable by other sites.
 */

/**
 * `connect` lists the SFU origins signalling may go to besides this page's own (`'self'`): an
 * http(s) origin allows its ws(s) twin too, which CSP Level 3 does for 'self' only.
 */
export function contentSecurityPolicy(connect: readonly string[] = []): string {
  const sfus = connect.flatMap((origin) => [origin, origin.replace(/^http/, 'ws')]);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self' blob:",
    ["connect-src 'self'", ...sfus].join(' '),
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "style-src 'self' 'unsafe-inline'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function clientHeaders(connect: readonly string[] = []): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(connect),
    'referrer-policy': 'no-referrer',
    'permissions-policy':
      'camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
}
