"use client";

import { useEffect, useState } from "react";
import { apiBlob } from "@/lib/api";
import { ErrorNotice } from "./ErrorNotice";

/**
 * "Listen": fetches the spoken version of a debrief item (triage's espeak-ng WAV, made once and
 * cached) and plays it in an <audio controls> element; the first click loads, the player takes over.
 */
export function ListenButton({ path, label }: { path: string; label: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [url]);

  async function listen() {
    setLoading(true);
    setError(null);
    try {
      const blob = await apiBlob(path);
      setUrl(URL.createObjectURL(blob));
    } catch (caught) {
      setError(caught);
    } finally {
      setLoading(false);
    }
  }

  return (
    <div className="listen" data-testid="listen">
      {url ? (
        <audio controls autoPlay src={url} aria-label={label} data-testid="listen-audio" />
      ) : (
        <button type="button" className="secondary" onClick={listen} disabled={loading} aria-label={label}>
          {loading ? "Making the audio…" : "Listen"}
        </button>
      )}
      <ErrorNotice error={error} title="Could not read this aloud" />
    </div>
  );
}
