// Editors fire selection and diagnostics events in bursts (every keystroke, every lint pass); the server
// needs only where things settled. A debounced function runs once, `wait` ms after the last call, with
// the last call's arguments; flush() runs a pending call now (before a chat turn, so the server sees
// the latest selection first).

export interface Debounced<Args extends unknown[]> {
  (...args: Args): void;
  /** Run the pending call now, if there is one; returns whatever the function returned. */
  flush(): unknown;
  /** Drop the pending call. */
  cancel(): void;
  readonly pending: boolean;
}

export function debounce<Args extends unknown[]>(fn: (...args: Args) => unknown, wait: number): Debounced<Args> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastArgs: Args | undefined;

  const run = (): unknown => {
    const args = lastArgs;
    timer = undefined;
    lastArgs = undefined;
    return args === undefined ? undefined : fn(...args);
  };

  const debounced = ((...args: Args): void => {
    lastArgs = args;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(run, wait);
  }) as Debounced<Args>;

  debounced.flush = (): unknown => {
    if (timer === undefined) return undefined;
    clearTimeout(timer);
    return run();
  };
  debounced.cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    lastArgs = undefined;
  };
  Object.defineProperty(debounced, "pending", { get: () => timer !== undefined });
  return debounced;
}
