export * from './data-keys.js';
export * from './envelope.js';
export * from './key-ring.js';
export * from './sealing.js';
export * from './key-admin.js';
