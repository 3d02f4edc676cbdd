export * from './config.js';
export * from './log.js';
export * from './read-body.js';
