/**
 * Minimal runtime schemas for the signalling protocol.
 *
 * Each schema both validates an unknown value and gives its static type (`Infer<typeof s>`), so
 * the TypeScript types of the protocol and its runtime checks cannot drift apart. Validation
 * returns the first problem as a path plus a reason; it never throws.
 */

/** A failed check names where (`path`), why (`reason`), and whether it failed on size alone. */
export type Check<T> =
  { ok: true; value: T } | { ok: false; path: string; reason: string; tooLarge?: boolean };

export interface Schema<T> {
  readonly check: (value: unknown, path: string) => Check<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Failure = { ok: false; path: string; reason: string; tooLarge?: boolean };

const fail = (path: string, reason: string): Failure => ({ ok: false, path, reason });
const tooLarge = (path: string, reason: string): Failure => ({
  ok: false,
  path,
  reason,
  tooLarge: true,
});

export function validate<T>(schema: Schema<T>, value: unknown): Check<T> {
  return schema.check(value, '$');
}

export function string(opts: { min?: number; max: number; pattern?: RegExp }): Schema<string> {
  return {
    check: (v, path) => {
      if (typeof v !== 'string') return fail(path, 'expected a string');
      if (v.length < (opts.min ?? 0)) return fail(path, `shorter than ${opts.min ?? 0}`);
      if (v.length > opts.max) return tooLarge(path, `longer than ${opts.max}`);
      if (opts.pattern && !opts.pattern.test(v)) return fail(path, 'has invalid characters');
      return { ok: true, value: v };
    },
  };
}

export function integer(opts: { min: number; max: number }): Schema<number> {
  return {
    check: (v, path) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) return fail(path, 'expected an integer');
      if (v < opts.min || v > opts.max) return fail(path, `outside ${opts.min}..${opts.max}`);
      return { ok: true, value: v };
    },
  };
}

export function literal<const L extends string | number | boolean>(...values: L[]): Schema<L> {
  return {
    check: (v, path) =>
      values.includes(v as L)
        ? { ok: true, value: v as L }
        : fail(path, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`),
  };
}

export const boolean: Schema<boolean> = {
  check: (v, path) =>
    typeof v === 'boolean' ? { ok: true, value: v } : fail(path, 'expected a boolean'),
};

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return { check: (v, path) => (v === null ? { ok: true, value: null } : inner.check(v, path)) };
}

export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { optional: true } {
  return {
    optional: true,
    check: (v, path) => (v === undefined ? { ok: true, value: undefined } : inner.check(v, path)),
  };
}

/** Binary payload: socket.io delivers Buffer (Node) or ArrayBuffer/Uint8Array (browser). */
export function bytes(opts: { min?: number; max: number }): Schema<Uint8Array> {
  return {
    check: (v, path) => {
      let out: Uint8Array;
      if (v instanceof Uint8Array) out = v;
      else if (v instanceof ArrayBuffer) out = new Uint8Array(v);
      else return fail(path, 'expected binary data');
      if (out.byteLength < (opts.min ?? 0))
        return fail(path, `shorter than ${opts.min ?? 0} bytes`);
      if (out.byteLength > opts.max) return tooLarge(path, `larger than ${opts.max} bytes`);
      return { ok: true, value: out };
    },
  };
}

export function array<T>(item: Schema<T>, opts: { max: number }): Schema<T[]> {
  return {
    check: (v, path) => {
      if (!Array.isArray(v)) return fail(path, 'expected an array');
      if (v.length > opts.max) return tooLarge(path, `more than ${opts.max} items`);
      const out: T[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = item.check(v[i], `${path}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * An opaque JSON object (e.g. mediasoup RTP parameters) that the receiver validates itself.
 * Only its shape (plain object), depth and serialized size are bounded here.
 */
export function opaqueObject<T extends object>(opts: { maxBytes: number }): Schema<T> {
  return {
    check: (v, path) => {
      if (!isPlainObject(v)) return fail(path, 'expected an object');
      let size: number;
      try {
        size = JSON.stringify(v).length;
      } catch {
        return fail(path, 'is not serializable');
      }
      if (size > opts.maxBytes) return tooLarge(path, `larger than ${opts.maxBytes} bytes`);
      return { ok: true, value: v as T };
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { optional: true } ? K : never;
}[keyof S];
export type ObjectOf<S extends Shape> = {
  [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]>;
} & { [K in OptionalKeys<S>]?: Infer<S[K]> };

/** A closed object: unknown keys are refused, so a typo or an injected field is an error. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return {
    check: (v, path) => {
      if (!isPlainObject(v)) return fail(path, 'expected an object');
      for (const k of Object.keys(v)) {
        if (!Object.hasOwn(shape, k)) return fail(`${path}.${k}`, 'is not allowed');
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const r = shape[k]!.check(v[k], `${path}.${k}`);
        if (!r.ok) return r;
        if (r.value !== undefined) out[k] = r.value;
      }
      return { ok: true, value: out as ObjectOf<S> };
    },
  };
}
