// Worker threads inherit the process's flags, `--import tsx` included, which makes each thread
// load tsx before its first stage (about 0.6 s here). The worker entry registers tsx itself, only
// for TypeScript stage modules, so that flag is dropped. A worker refuses process-wide flags
// (V8 options such as --expose-gc) when given explicitly, though it ignores them when inherited:
// so the flags are passed only when tsx was found, and then only those a thread accepts.
const threadFlag =
  /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C|--input-type|--no-warnings|--no-deprecation|--disable-warning|--enable-source-maps|--trace-warnings|--trace-deprecation|--experimental-[a-z-]+|--no-experimental-[a-z-]+)$/;
const takesValue =
  /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C|--input-type|--disable-warning)$/;

/** @internal The flags for worker threads: undefined to inherit them, or the thread-safe ones without tsx. */
export function withoutTsxLoader(flags: readonly string[]): string[] | undefined {
  // `tsx`, `tsx/esm`, or the paths the tsx command passes (…/node_modules/tsx/dist/loader.mjs).
  const isTsx = (value: string | undefined) =>
    value !== undefined && (/^tsx(\/|$)/.test(value) || /[\\/]node_modules[\\/]tsx[\\/]/.test(value));
  const out: string[] = [];
  let dropped = false;
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!;
    const [name, inline] = flag.split('=', 2) as [string, string | undefined];
    const value = inline ?? (takesValue.test(name) ? flags[k + 1] : undefined);
    if (inline === undefined && value !== undefined) k++;
    if (!threadFlag.test(name)) continue;
    if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(name) && isTsx(value)) {
      dropped = true;
      continue;
    }
    out.push(inline !== undefined || value === undefined ? flag : `${name}=${value}`);
  }
  return dropped ? out : undefined;
}
