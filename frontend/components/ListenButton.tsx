"use client";

import { useState } from "react";
import { apiBlob } from "@/lib/api";
import { ErrorNotice } from "./ErrorNotice";

/**
 * "Listen": plays the spoken version of a debrief item (triage's espeak-ng WAV, made once and
 * cached) in an <audio controls> element whose source is the same-origin API route (the page's
 * CSP allows media from 'self' only, so no blob: URL). If the audio cannot load, the route is
 * asked again for its problem, which is shown as the API worded it.
 */
export function ListenButton({ path, label }: { path: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<unknown>(null);

  function listen() {
    setError(null);
    setReady(false);
    setSrc(`/api/${path}`);
  }

  async function failed() {
    setSrc(null);
    try {
      await apiBlob(path);
      setError(new Error("Your browser could not play this audio."));
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <div className="listen row" data-testid="listen">
      {src ? (
        <>
          <audio
            controls
            autoPlay
            preload="auto"
            src={src}
            aria-label={label}
            data-testid="listen-audio"
            onLoadedMetadata={() => setReady(true)}
            onError={() => void failed()}
          />
          {!ready && <span className="small muted">Making the audio…</span>}
        </>
      ) : (
        <button type="button" className="secondary" onClick={listen} aria-label={label}>
          Listen
        </button>
      )}
      <ErrorNotice error={error} title="Could not read this aloud" />
    </div>
  );
}
