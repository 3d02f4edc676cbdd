export * from './bulk-read.js';
export * from './change.js';
export * from './customers.js';
export * from './history.js';
export * from './keys.js';
export * from './preferences.js';
export * from './webhook-endpoints.js';
