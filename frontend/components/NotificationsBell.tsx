"use client";

import { useEffect, useRef, useState } from "react";
import { api } from "@/lib/api";
import type { NotificationList } from "@/lib/types";
import { useLive } from "@/lib/useLive";
import { ago } from "./format";

/** The signed-in user's notifications: unread count, a list, mark read; live via SSE. */
export function NotificationsBell() {
  const [list, setList] = useState<NotificationList | null>(null);
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);

  const load = () =>
    api<NotificationList>("notifications")
      .then(setList)
      .catch(() => undefined);
  useEffect(() => {
    void load();
  }, []);
  useLive(["notifications"], () => void load());

  async function markRead(id: string) {
    const updated = await api<NotificationList>(`notifications/${id}/read`, { method: "POST" }).catch(() => null);
    if (updated) setList(updated);
  }

  const unread = list?.unread ?? 0;
  return (
    <div className="bell">
      <button
        type="button"
        className="secondary"
        aria-expanded={open}
        aria-controls="notifications-panel"
        onClick={() => setOpen((v) => !v)}
        data-testid="notifications-button"
      >
        Notifications{" "}
        <span className={`badge ${unread ? "bad" : "neutral"}`} data-testid="unread-count">
          {unread}
        </span>
        <span className="visually-hidden"> unread</span>
      </button>
      {open && (
        <div id="notifications-panel" className="bell-panel card" ref={panel} role="region" aria-label="Notifications">
          {!list || list.items.length === 0 ? (
            <p className="muted small">No notifications yet.</p>
          ) : (
            <ul className="alerts">
              {list.items.map((n) => (
                <li key={n.id} data-notification-id={n.id} data-unread={!n.read_at}>
                  <div className="row">
                    <strong>{n.title}</strong>
                    <span className="spacer" />
                    <span className="small muted">{ago(n.created_at)}</span>
                  </div>
                  <p className="small">{n.body}</p>
                  <div className="row">
                    {n.link && (
                      <a className="button" href={n.link} onClick={() => void markRead(n.id)}>
                        Open
                      </a>
                    )}
                    {!n.read_at && (
                      <button type="button" className="link small" onClick={() => void markRead(n.id)}>
                        Mark read<span className="visually-hidden">: {n.title}</span>
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
