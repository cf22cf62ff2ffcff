/**
 * The ext transport: run `command` and speak the protocol over its stdin and stdout, as
 * libvirt's client does (`qemu+ext:///system?command=...`). Also a way to use the system's
 * ssh binary.
 */
import { Duplex } from 'node:stream';
import { ConnectionError } from '../errors.js';
import { transportFromDuplex, whenReady } from './node-stream.js';
import type { Dialer } from './types.js';
import { loadLater } from './load-later.js';

export function commandDialer(argv: string[], description = argv[0] ?? 'command'): Dialer {
  return async (events, signal) => {
    const [file, ...args] = argv;
    if (!file) throw new ConnectionError('the ext transport needs a command');
    // Loaded on first use, as TLS is: most processes never run a tunnel command.
    const { spawn } = await loadLater<typeof import('node:child_process')>('node:child_process');
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      // Keep the tail only: it explains a failure, and a chatty command must not grow memory.
      stderr = (stderr + b.toString()).slice(-4096);
    });
    await whenReady(child, 'spawn', signal, (e) => new ConnectionError(`cannot run ${file}: ${e.message}`, { cause: e }), () => child.kill('SIGTERM'));
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    child.once('exit', (code, sig) => {
      if (code !== 0) stream.destroy(new Error(`${file} exited with ${sig ?? code}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    const transport = transportFromDuplex(stream, events, `ext:${description}`);
    return {
      ...transport,
      close: () => {
        transport.close();
        child.kill('SIGTERM');
      },
    };
  };
}
