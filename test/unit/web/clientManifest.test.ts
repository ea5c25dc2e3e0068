// The client manifest and hash (what the build prints, the app shows and verify-client compares),
// the build's Subresource Integrity step, and config.json's validation.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addIntegrity } from '../../../web/build/integrityPlugin.js';
import { parseClientConfig, ConfigError } from '../../../web/config/clientConfig.js';
import {
  clientHash,
  compareClients,
  formatManifest,
  ManifestError,
  parseManifest,
} from '../../../web/integrity/clientManifest.js';

const h = (s: string): string => createHash('sha256').update(s).digest('hex');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as ManifestError | ConfigError).code;
  }
  return undefined;
}

describe('client manifest', () => {
  const files = [
    { path: 'index.html', sha256: h('page') },
    { path: 'assets/index-abc.js', sha256: h('script') },
  ];

  it('is sha256sum format, sorted by path, and round-trips', async () => {
    const text = formatManifest(files);
    expect(text).toBe(`${h('script')}  assets/index-abc.js\n${h('page')}  index.html\n`);
    expect(parseManifest(text)).toEqual([files[1], files[0]]);
    // The client hash is `sha256sum client.sha256`.
    expect(await clientHash(text)).toBe(h(text));
  });

  it('refuses paths that leave the root, duplicates, disorder and damaged lines', () => {
    const line = (p: string): string => `${h(p)}  ${p}\n`;
    expect(code(() => formatManifest([{ path: '../x', sha256: h('x') }]))).toBe('BAD_PATH');
    expect(code(() => formatManifest([{ path: 'a/./b', sha256: h('x') }]))).toBe('BAD_PATH');
    expect(code(() => formatManifest([{ path: '/etc/x', sha256: h('x') }]))).toBe('BAD_PATH');
    expect(code(() => formatManifest([]))).toBe('EMPTY');
    expect(code(() => formatManifest([files[0]!, files[0]!]))).toBe('DUPLICATE_PATH');
    expect(code(() => formatManifest([{ path: 'a', sha256: 'abc' }]))).toBe('BAD_LINE');
    expect(code(() => parseManifest(line('b') + line('a')))).toBe('UNSORTED');
    expect(code(() => parseManifest(line('a') + line('a')))).toBe('DUPLICATE_PATH');
    expect(code(() => parseManifest(line('a').trimEnd()))).toBe('BAD_LINE');
    expect(code(() => parseManifest(`${h('a')} a\n`))).toBe('BAD_LINE');
    expect(code(() => parseManifest(`${h('a').toUpperCase()}  a\n`))).toBe('BAD_LINE');
    expect(code(() => parseManifest(line('a b')))).toBe('BAD_PATH');
    expect(code(() => parseManifest(line('../a')))).toBe('BAD_PATH');
  });

  it('compares two clients file by file, naming every difference', () => {
    const theirs = [
      { path: 'index.html', sha256: h('other page') },
      { path: 'extra.js', sha256: h('extra') },
    ];
    expect(compareClients(files, files).map((r) => r.status)).toEqual(['match', 'match']);
    expect(compareClients(files, theirs)).toEqual([
      { path: 'assets/index-abc.js', status: 'missing', expected: h('script') },
      { path: 'extra.js', status: 'unexpected', actual: h('extra') },
      { path: 'index.html', status: 'mismatch', expected: h('page'), actual: h('other page') },
    ]);
  });
});

describe('subresource integrity', () => {
  const assets: Record<string, Buffer> = {
    'assets/index-abc.js': Buffer.from('export {}'),
    'assets/index-abc.css': Buffer.from('body{}'),
  };
  const read = (p: string): Buffer | null => assets[p] ?? null;
  const sri = (p: string): string =>
    `sha384-${createHash('sha384').update(assets[p]!).digest('base64')}`;

  it('pins every built script, preload and stylesheet, and leaves others alone', () => {
    const html = [
      '<script type="module" crossorigin src="/assets/index-abc.js"></script>',
      '<link rel="stylesheet" href="/assets/index-abc.css">',
      '<link rel="modulepreload" href="/assets/index-abc.js">',
      '<link rel="icon" href="data:,">',
      '<script src="/not-built.js"></script>',
    ].join('\n');
    const out = addIntegrity(html, read).split('\n');
    expect(out[0]).toBe(
      `<script type="module" crossorigin src="/assets/index-abc.js" integrity="${sri('assets/index-abc.js')}">`.slice(
        0,
        -1,
      ) + '></script>',
    );
    expect(out[1]).toBe(
      `<link rel="stylesheet" href="/assets/index-abc.css" integrity="${sri('assets/index-abc.css')}" crossorigin>`,
    );
    expect(out[2]).toContain(`integrity="${sri('assets/index-abc.js')}" crossorigin`);
    expect(out[3]).toBe('<link rel="icon" href="data:,">');
    expect(out[4]).toBe('<script src="/not-built.js"></script>');
    expect(addIntegrity(out.join('\n'), read)).toBe(out.join('\n')); // idempotent
  });
});

describe('config.json', () => {
  const OWN = 'https://call.example';
  it('accepts an http(s) origin and refuses anything else with a code', () => {
    expect(parseClientConfig('{"sfu":"https://sfu.example:8443"}', OWN)).toEqual({
      sfuUrl: 'https://sfu.example:8443',
      source: 'config',
    });
    expect(parseClientConfig('{}', OWN)).toEqual({ sfuUrl: OWN, source: 'same-origin' });
    expect(code(() => parseClientConfig('{', OWN))).toBe('BAD_JSON');
    expect(code(() => parseClientConfig('[]', OWN))).toBe('BAD_SFU_URL');
    expect(code(() => parseClientConfig('null', OWN))).toBe('BAD_SFU_URL');
    expect(code(() => parseClientConfig('{"sfu":"sfu.example"}', OWN))).toBe('BAD_SFU_URL');
    expect(code(() => parseClientConfig('{"sfu":"javascript:alert(1)"}', OWN))).toBe('BAD_SFU_URL');
    expect(code(() => parseClientConfig('{"sfu":"https://sfu.example/path"}', OWN))).toBe(
      'BAD_SFU_URL',
    );
    expect(code(() => parseClientConfig('{"sfu":"https://user@sfu.example"}', OWN))).toBe(
      'BAD_SFU_URL',
    );
  });
});
