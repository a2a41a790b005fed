// Preloaded into the Prisma CLI with `node --import`. Prisma 6.19's WebAssembly schema engine
// leaves 10-second timers behind, which keep the CLI alive long after a migration has finished.
// Unref'ing timers of five seconds or more lets the process exit when its work is done; shorter
// timers still hold the event loop, so nothing the CLI waits on is cut off.
const originalSetTimeout = globalThis.setTimeout;

globalThis.setTimeout = function setTimeoutUnrefLong(callback, delay, ...args) {
  const timer = originalSetTimeout(callback, delay, ...args);
  if (Number(delay) >= 5000 && typeof timer?.unref === 'function') {
    timer.unref();
  }
  return timer;
};
