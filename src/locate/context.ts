/**
 * What the client rules read of the process they run in: its environment and whether it is
 * root. Read when asked, never at import time.
 */
type ProcessLike = { env?: Record<string, string | undefined>; getuid?: () => number };

/**
 * The environment and identity of this process, read now (never at import time).
 *
 * Runtimes with permissions (Deno without `--allow-env` or `--allow-sys`) throw on each read;
 * a denied variable reads as unset and a denied uid as "not root", the same answers as on a
 * platform without them, so that a program granted only the socket or host it needs still
 * connects.
 */
export function processContext(): { env: Record<string, string | undefined>; isRoot: boolean } {
  const proc = (globalThis as { process?: ProcessLike }).process;
  return { env: tolerantEnv(proc?.env ?? {}), isRoot: deniedAsUndefined(() => proc?.getuid?.()) === 0 };
}

/** A read-only view of `env` in which a denied read is an unset variable (spreading it works too). */
function tolerantEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const read = (name: string | symbol) => (typeof name === 'string' ? deniedAsUndefined(() => env[name]) : undefined);
  return new Proxy({} as Record<string, string | undefined>, {
    get: (_, name) => read(name),
    has: (_, name) => read(name) !== undefined,
    ownKeys: () => deniedAsUndefined(() => Object.keys(env)) ?? [],
    getOwnPropertyDescriptor: (_, name) => {
      const value = read(name);
      return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
    },
  });
}

function deniedAsUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
