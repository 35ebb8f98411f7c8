import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** What {@link usePoll} gives a view. */
export interface Poll<T> {
  data: T | undefined;
  error: Error | undefined;
  /** Epoch ms of the last successful read. */
  at: number | undefined;
  refresh: () => void;
}

/**
 * Reads `load` now and every `intervalMs` while the tab is visible: one request at a time (the
 * next waits for the last), none while hidden. The API caches these reads for a second and
 * shares them between tabs, so a page left open costs the database at most a read a second.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number,
  onError: (error: Error) => void,
  key = '',
): Poll<T> {
  const [state, setState] = useState<Omit<Poll<T>, 'refresh'>>({
    data: undefined,
    error: undefined,
    at: undefined,
  });
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    const run = async () => {
      clearTimeout(timer);
      if (stopped || running) return;
      if (document.hidden) return; // visibilitychange resumes it
      running = true;
      try {
        const data = await load();
        if (!stopped) setState({ data, error: undefined, at: Date.now() });
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        if (!stopped) setState((s) => ({ ...s, error: err }));
        onError(err);
      } finally {
        running = false;
        if (!stopped) timer = setTimeout(run, intervalMs);
      }
    };
    kick.current = () => void run();
    const onVisible = () => {
      if (!document.hidden) void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
    // A new key (another channel) starts a new poll; load and onError may change identity.
  }, [key, intervalMs]);
  const refresh = useCallback(() => kick.current(), []);
  return { ...state, refresh };
}
