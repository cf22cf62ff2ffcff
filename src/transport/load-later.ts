/**
 * Modules a carrier loads only when it dials (Node's TLS stack, child_process, ssh2), so that
 * a process which never dials them never loads them.
 */
declare const __commandRequire: ((id: string) => unknown) | undefined;

/**
 * `import(specifier)`, or, in the command's one-script build (CommonJS run through vm, where
 * `import()` needs an experimental flag), its `require`, which that build defines as
 * `__commandRequire`.
 *
 * @example
 * ```ts
 * const { connect } = await loadLater<typeof import('node:tls')>('node:tls');
 * ```
 */
export async function loadLater<T>(specifier: string): Promise<T> {
  if (typeof __commandRequire === 'function') return __commandRequire(specifier) as T;
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as T;
}
