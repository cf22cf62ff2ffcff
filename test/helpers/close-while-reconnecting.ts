/**
 * Run as a child process by the reconnect tests: connects to the URI given with a ten-minute
 * reconnect backoff, waits for the parent to cut the connection, closes during the backoff
 * and returns, so the process exits only if close() left no timer or socket behind.
 */
import { connect } from '../../src/index.js';

const conn = await connect(process.argv[2], { keepalive: false, reconnect: { initialDelayMs: 600_000, maxDelayMs: 600_000 } });
let seen!: () => void;
const lost = new Promise<void>((resolve) => (seen = resolve));
await conn.subscribe('connection:closed', () => seen());
console.log('connected');
await lost; // the backoff wait has begun
await conn.close();
console.log('closed');
