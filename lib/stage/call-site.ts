import { pathToFileURL } from 'node:url';

/** Where a stage was defined: the module's URL (what a worker imports) and a readable location. */
export interface CallSite {
  readonly module: string;
  readonly location: string;
}

// The folder holding tsdags' own modules (lib/ from source, dist/ when built): frames inside it
// are the library's, and the first frame outside it is the user's module that called stage().
const libraryRoot = new URL('../', import.meta.url).href;

/** The first caller outside tsdags: the module that defines a stage. */
export function callerOutsideLibrary(): CallSite {
  const saved = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  let sites: NodeJS.CallSite[];
  try {
    // Raw V8 call sites give each frame's module URL as loaded, without source-map rewriting.
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = 30;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, callerOutsideLibrary);
    sites = holder.stack as NodeJS.CallSite[];
  } finally {
    Error.prepareStackTrace = saved;
    Error.stackTraceLimit = savedLimit;
  }
  for (const site of sites) {
    const file = site.getFileName();
    if (!file || file.startsWith('node:')) continue;
    const url = toUrl(file);
    if (url.startsWith(libraryRoot)) continue;
    return { module: url, location: `${url}:${site.getLineNumber() ?? 0}` };
  }
  return { module: 'unknown', location: 'an unknown module' };
}

function toUrl(file: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(file) ? file : pathToFileURL(file).href;
}
