export * from './xdr/index.js';
export * from '../protocol/index.js';
