/**
 * The module matrix of a QR code (qrcode-generator does the encoding): rows of booleans, true for
 * a dark module, without the quiet zone. DOM-free, so tests can draw the same symbol into a fake
 * camera's frames.
 */
import qrcode from 'qrcode-generator';

/** Error-correction level M (15 %): survives a camera's blur and glare on a screen. */
export function qrMatrix(text: string): boolean[][] {
  const qr = qrcode(0, 'M');
  qr.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? 'Alphanumeric' : 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

/** QR symbols need a light margin of 4 modules around them to be found. */
export const QR_QUIET_ZONE = 4;
