// Edits applied to the scratch copy of mediasoup's worker/ sources (never to
// node_modules). Each `find` must occur exactly once in `file`, otherwise the
// build stops: a silent no-op would ship a worker with the bug still in it.

/** @type {ReadonlyArray<{ file: string, find: string, replace: string, reason: string }>} */
export const sourcePatches = [
  {
    file: 'src/RTC/DtlsTransport.cpp',
    find: 'long resultOfcallback = (operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1;',
    replace:
      'long resultOfcallback = (operationType & BIO_CB_RETURN) ? static_cast<long>(ret) : 1;',
    reason:
      'OpenSSL calls BIO callbacks after an operation with BIO_CB_RETURN OR-ed into the operation ' +
      'type, so the equality test never matches and the callback answers 1 to every ctrl. ' +
      "With Debian's kTLS-enabled libssl, BIO_get_ktls_send() then reports kTLS as on, libssl " +
      'skips allocating its write buffer and the worker segfaults on the first DTLS record. ' +
      "mediasoup's prebuilt binaries use their own OpenSSL without kTLS, hence unaffected.",
  },
];
