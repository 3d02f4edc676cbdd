export * from './client.js';
export * from './endpoint-store.js';
export * from './history-index.js';
export * from './in-hand.js';
export * from './keys.js';
export * from './preferences-store.js';
export * from './script.js';
