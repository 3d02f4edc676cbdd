export * from './actor-refusal.js';
export * from './group-publisher.js';
export * from './names.js';
export * from './secrets.js';
export * from './sidecar-error.js';
export * from './sidecar-http.js';
export * from './sidecar.js';
export * from './trace.js';
