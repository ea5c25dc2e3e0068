// The identity QR code: its text carries the whole identity key, parses back to the same bytes,
// refuses anything else, and the symbol the client draws decodes (jsQR) to that text.
import jsQRModule from 'jsqr';
import { describe, expect, it } from 'vitest';
import { identityQrText, parseIdentityQr, IDENTITY_QR_PREFIX } from '../../../shared/mls/index.js';
import { QR_QUIET_ZONE, qrMatrix } from '../../../web/identity/qrMatrix.js';

const jsQR = jsQRModule.default;

/** RGBA pixels of the symbol as the client draws it: `scale` px per module, quiet zone white. */
function render(text: string, scale = 4): { data: Uint8ClampedArray; size: number } {
  const m = qrMatrix(text);
  const size = (m.length + 2 * QR_QUIET_ZONE) * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  m.forEach((row, r) =>
    row.forEach((dark, c) => {
      if (!dark) return;
      for (let y = 0; y < scale; y++)
        for (let x = 0; x < scale; x++) {
          const i =
            (((r + QR_QUIET_ZONE) * scale + y) * size + (c + QR_QUIET_ZONE) * scale + x) * 4;
          data[i] = data[i + 1] = data[i + 2] = 0;
        }
    }),
  );
  return { data, size };
}

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

describe('identity QR code', () => {
  it('carries the whole 32-byte key and parses back to it', () => {
    const text = identityQrText(key);
    expect(text.startsWith(IDENTITY_QR_PREFIX)).toBe(true);
    expect(text).toMatch(/^[0-9A-Z:]+$/); // QR alphanumeric mode
    expect(text).toHaveLength(IDENTITY_QR_PREFIX.length + 64);
    expect(parseIdentityQr(text)).toEqual(key);
  });

  it('refuses other texts with BAD_INPUT, and keys that are not 32 bytes', () => {
    const text = identityQrText(key);
    for (const bad of [
      '',
      'https://example.com/',
      text.slice(0, -1),
      text + '0',
      text.toLowerCase(),
      text.replace('ID:1', 'ID:2'),
    ])
      expect(() => parseIdentityQr(bad), bad).toThrow(
        expect.objectContaining({ code: 'BAD_INPUT' }),
      );
    expect(() => identityQrText(key.subarray(1))).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT' }),
    );
  });

  it('the drawn symbol is version 4 (33 modules) and decodes to the same text', () => {
    const text = identityQrText(key);
    expect(qrMatrix(text)).toHaveLength(33);
    const { data, size } = render(text);
    expect(jsQR(data, size, size)?.data).toBe(text);
    // A different key draws a different symbol that decodes to its own text.
    const other = identityQrText(key.map((b) => b ^ 1));
    const r2 = render(other);
    expect(jsQR(r2.data, r2.size, r2.size)?.data).toBe(other);
  });
});
