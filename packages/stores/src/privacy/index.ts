export * from './data-keys.js';
export * from './envelope.js';
export * from './key-ring.js';
export * from './key-ring-at-start.js';
export * from './sealing.js';
export * from './key-admin.js';
export * from './key-drops.js';
export * from './app-data-keys.js';
