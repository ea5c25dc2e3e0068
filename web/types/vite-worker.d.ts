/**
 * Vite's `?worker&inline` imports (https://vite.dev/guide/features#import-with-query-suffixes):
 * the default export constructs the bundled worker from a blob: URL.
 */
declare module '*?worker&inline' {
  const WorkerConstructor: new (options?: { name?: string }) => Worker;
  export default WorkerConstructor;
}

/** `?worker&url`: the URL of the bundled worker script (used for the AudioWorklet module). */
declare module '*?worker&url' {
  const url: string;
  export default url;
}
