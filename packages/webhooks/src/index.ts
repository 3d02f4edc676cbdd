export * from './address-policy.js';
export * from './signature.js';
