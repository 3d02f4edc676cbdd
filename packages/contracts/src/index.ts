export * from './events.js';
export * from './ids.js';
export * from './notification-request.js';
export * from './notification-view.js';
export * from './preferences.js';
export * from './provider-event.js';
export * from './status-event.js';
export * from './webhook-endpoint.js';
