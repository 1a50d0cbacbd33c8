"use client";

import { useCallback, useEffect, useState } from "react";
import { api } from "@/lib/api";

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** GET `/api/<path>` when the component mounts (and on `reload`); `null` path = do nothing. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [round, setRound] = useState(0);
  // the request a result answers: loading = the current request has no result yet
  const request = path === null ? null : `${round}:${path}`;
  const [result, setResult] = useState<{ request: string | null; data: T | null; error: unknown }>({
    request: null,
    data: null,
    error: null,
  });

  useEffect(() => {
    if (path === null || request === null) return;
    let live = true;
    api<T>(path)
      .then((value) => live && setResult({ request, data: value, error: null }))
      .catch((caught: unknown) => live && setResult((last) => ({ request, data: last.data, error: caught })));
    return () => {
      live = false;
    };
  }, [path, request]);

  const reload = useCallback(() => setRound((n) => n + 1), []);
  const answered = request !== null && result.request === request;
  return {
    // the last data stays on screen while a reload is under way
    data: result.data,
    error: answered ? result.error : null,
    loading: request !== null && !answered,
    reload,
  };
}
