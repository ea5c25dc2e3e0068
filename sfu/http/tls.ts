/**
 * TLS material: the operator's certificate and key, or a self-signed certificate for development
 * made once with the system `openssl` and kept in the cache directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SfuConfig } from '../config.js';
import { createLogger } from '../logger.js';

const log = createLogger('tls');

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export function loadTls(tls: SfuConfig['tls']): TlsMaterial | null {
  if (tls === null) return null;
  if (tls !== 'selfSigned')
    return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  const dir = path.join(
    process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'blindcall',
    'tls',
  );
  const certFile = path.join(dir, 'self-signed.crt');
  const keyFile = path.join(dir, 'self-signed.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '365',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    log.info('generated a self-signed development certificate', { certFile });
  }
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
