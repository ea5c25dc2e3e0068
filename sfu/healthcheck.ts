/**
 * The container healthcheck (docker/Dockerfile `HEALTHCHECK`): asks this node's own /healthz with
 * the same environment the server started with, so it speaks HTTPS when TLS is on (TLS_CERT/
 * TLS_KEY or TLS=self-signed) and HTTP otherwise, on HOST (127.0.0.1 when the server listens on
 * every address) and PORT. The certificate is not verified: the name in it is the public one,
 * and the check talks to itself over loopback. Exit 0 when /healthz says 200, 1 otherwise.
 * No static imports of the server, so it starts in a few milliseconds.
 */
import http from 'node:http';
import https from 'node:https';
import { loadConfig } from './config.js';

const TIMEOUT_MS = 2500;

function check(): Promise<boolean> {
  const config = loadConfig();
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const host = wildcard ? (config.host === '::' ? '::1' : '127.0.0.1') : config.host;
  const options = { host, port: config.port, path: '/healthz', timeout: TIMEOUT_MS };
  return new Promise((resolve) => {
    const req = config.tls
      ? https.get({ ...options, rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
      : http.get(options, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

process.exitCode = (await check().catch(() => false)) ? 0 : 1;
