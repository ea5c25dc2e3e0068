/** Compile-time exhaustiveness guard: a `switch` over a union ends in `default: assertNever(x)`. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
