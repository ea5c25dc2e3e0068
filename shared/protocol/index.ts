/** The signalling protocol shared by the SFU and the browser client. */
export * from './errors.js';
export * from './messages.js';
export * from './schema.js';
