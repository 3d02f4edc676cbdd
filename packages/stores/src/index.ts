export * from './client.js';
export * from './in-hand.js';
export * from './keys.js';
export * from './privacy/index.js';
export * from './records/index.js';
export * from './script.js';
