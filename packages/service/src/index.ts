export * from './app-token.js';
export * from './bounded-map.js';
export * from './config.js';
export * from './http-server.js';
export * from './log.js';
export * from './metrics.js';
export * from './read-body.js';
export * from './tracing.js';
