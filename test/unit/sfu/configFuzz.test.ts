// Config fuzz: random and hostile values for every SFU environment variable. loadConfig either
// returns a configuration whose every field is usable as it stands, or throws a ConfigError that
// names one of the variables with a short message; nothing else escapes. Seeded (FUZZ_SEED).
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../sfu/config.js';
import { fuzzScale, fuzzSeed } from '../../fuzz/seed.js';

const VARIABLES = [
  'HOST',
  'PORT',
  'ANNOUNCED_ADDRESS',
  'RTC_LISTEN_IP',
  'RTC_PORT',
  'NUM_WORKERS',
  'MAX_PEERS_PER_ROOM',
  'TLS_CERT',
  'TLS_KEY',
  'TLS',
  'LOG_LEVEL',
  'RATE_LIMIT_PER_SECOND',
  'RATE_LIMIT_BURST',
  'WEB_ROOT',
] as const;

/** Values that are almost right, plainly wrong, or hostile. */
const value = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '1',
    '-1',
    '1e3',
    '0x10',
    ' 80',
    '80 ',
    '3.5',
    '65535',
    '65536',
    '99999999999999999999999',
    'NaN',
    'Infinity',
    '127.0.0.1',
    '0.0.0.0',
    '256.1.1.1',
    '1.2.3',
    '::1',
    'a:b',
    ':::',
    '[::1]',
    'fe80::1%eth0',
    'localhost',
    'example.com',
    '-bad-.host',
    'host name',
    'self-signed',
    'off',
    'debug',
    'DEBUG',
    '/etc/passwd',
    '/nonexistent/cert.pem',
    '\u0000',
    '١٢٣',
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat().map(String),
  fc.integer({ min: -100, max: 70_000 }).map(String),
  fc.ipV4().map(String),
  fc.ipV6(),
  fc.domain(),
  fc.string({ minLength: 10_000, maxLength: 20_000 }),
);

const envArb = fc.dictionary(fc.constantFrom(...VARIABLES), value, { maxKeys: 5 });

const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const isHost = (s: string): boolean => isIP(s) !== 0 || (HOSTNAME.test(s) && !/^[\d.]+$/.test(s));

describe('config fuzz', () => {
  const seed = fuzzSeed('config fuzz');

  it('returns a usable config or a ConfigError naming a variable, never anything else', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(envArb, (env) => {
        let c;
        try {
          c = loadConfig(env);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          expect(VARIABLES).toContain(err.variable);
          expect(err.message.length).toBeLessThan(300); // a huge value is not echoed back whole
          refused++;
          return;
        }
        accepted++;
        expect(isHost(c.host), `HOST ${c.host}`).toBe(true);
        expect(isIP(c.rtcListenIp), `RTC_LISTEN_IP ${c.rtcListenIp}`).not.toBe(0);
        expect(isHost(c.announcedAddress), `ANNOUNCED_ADDRESS ${c.announcedAddress}`).toBe(true);
        for (const [n, lo, hi] of [
          [c.port, 0, 65535],
          [c.rtcPort, 1024, 65535 - c.numWorkers],
          [c.numWorkers, 1, 256],
          [c.maxPeersPerRoom, 1, 10_000],
          [c.rateLimit.perSecond, 1, 100_000],
          [c.rateLimit.burst, 1, 1_000_000],
        ] as const) {
          expect(Number.isInteger(n) && n >= lo && n <= hi, `${n} in ${lo}..${hi}`).toBe(true);
        }
        expect(['debug', 'info', 'warn', 'error']).toContain(c.logLevel);
        if (c.tls !== null && c.tls !== 'selfSigned') {
          expect(c.tls.certFile.length).toBeGreaterThan(0);
          expect(c.tls.keyFile.length).toBeGreaterThan(0);
        }
      }),
      { seed, numRuns: fuzzScale(2000) },
    );
    console.log(`[fuzz] config fuzz: ${accepted} accepted, ${refused} refused with a ConfigError`);
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it.each([
    ['RTC_LISTEN_IP', { RTC_LISTEN_IP: 'a:b' }],
    ['RTC_LISTEN_IP', { RTC_LISTEN_IP: '256.1.1.1' }],
    ['RTC_LISTEN_IP', { RTC_LISTEN_IP: ':::' }],
    ['ANNOUNCED_ADDRESS', { ANNOUNCED_ADDRESS: 'host name' }],
    ['ANNOUNCED_ADDRESS', { ANNOUNCED_ADDRESS: '256.1.1.1' }],
    ['HOST', { HOST: 'no such host!' }],
    ['TLS_CERT', { TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem' }],
    ['PORT', { PORT: 'x'.repeat(100_000) }],
  ] as const)('refuses a bad %s', (variable, env) => {
    const err = (() => {
      try {
        loadConfig(env);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as ConfigError).message.length).toBeLessThan(300);
  });
});
