/** A teacher's exam being set in the browser, checked with the rules `POST /exams` applies
 * (agents/triage/api/routes/exams.py `ExamCreate` and `create_exam`), so a form that passes here
 * is one the API accepts — the API still checks everything and its message is shown if it
 * refuses. */

import type { ExamItemRef } from "./types";

export const TITLE_MAX = 120;
export const MAX_ITEMS = 40;
export const LIMIT_MIN_S = 10;
export const LIMIT_MAX_S = 6 * 3600;

export interface ExamDraft {
  title: string;
  classId: string;
  /** minutes as typed (decimals allowed: 0.75 = 45 s) */
  minutes: string;
  /** `datetime-local` values (the browser's local time); empty opensAt = now */
  opensAt: string;
  closesAt: string;
  items: ExamItemRef[];
}

export type DraftField = "title" | "classId" | "minutes" | "opensAt" | "closesAt" | "items";
export type DraftErrors = Partial<Record<DraftField, string>>;

export interface ExamCreateBody {
  class_id: string;
  title: string;
  items: ExamItemRef[];
  time_limit_s: number;
  opens_at?: string;
  closes_at: string;
}

/** `datetime-local` text (no zone: the browser's local time) → a Date, or null if not one. */
export function fromLocalInput(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A Date → `datetime-local` text in the browser's local time, to the minute. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Minutes as typed → whole seconds, or null when it is not a number. */
export function limitSeconds(minutes: string): number | null {
  const text = minutes.trim().replace(",", ".");
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(text)) return null;
  return Math.round(Number(text) * 60);
}

export function describeSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  if (m === 0) return `${s} s`;
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

/** What is wrong with the draft, per field (empty = the API would take it). */
export function checkDraft(draft: ExamDraft, now: Date): DraftErrors {
  const errors: DraftErrors = {};
  const title = draft.title.trim();
  if (!title) errors.title = "Give the exam a title.";
  else if (title.length > TITLE_MAX) errors.title = `The title is ${title.length} characters; keep it to ${TITLE_MAX}.`;
  if (!draft.classId) errors.classId = "Choose the class that sits the exam.";
  const seconds = limitSeconds(draft.minutes);
  if (seconds === null) errors.minutes = "Type the time each student gets, in minutes (e.g. 30 or 0.75).";
  else if (seconds < LIMIT_MIN_S || seconds > LIMIT_MAX_S)
    errors.minutes = `Each student's time must be between ${LIMIT_MIN_S} seconds and ${LIMIT_MAX_S / 3600} hours (you typed ${describeSeconds(seconds)}).`;
  let opens: Date = now;
  if (draft.opensAt) {
    const parsed = fromLocalInput(draft.opensAt);
    if (parsed === null) errors.opensAt = "Type the opening time as a date and time, or leave it empty to open now.";
    else opens = parsed;
  }
  if (!draft.closesAt) errors.closesAt = "Choose when the exam closes (no start and no answer after it).";
  else {
    const closes = fromLocalInput(draft.closesAt);
    if (closes === null) errors.closesAt = "Type the closing time as a date and time.";
    else if (closes <= now) errors.closesAt = "The closing time has passed; choose a time in the future.";
    else if (!errors.opensAt && closes <= opens) errors.closesAt = "The exam must close after it opens.";
  }
  if (draft.items.length === 0) errors.items = "Choose at least one question or exercise from the bank.";
  else if (draft.items.length > MAX_ITEMS) errors.items = `An exam takes at most ${MAX_ITEMS} items; ${draft.items.length} are chosen.`;
  else if (new Set(draft.items.map((i) => i.id)).size !== draft.items.length) errors.items = "An item is chosen twice; list each item once.";
  return errors;
}

/** The request body for a draft that passed `checkDraft`. */
export function toBody(draft: ExamDraft): ExamCreateBody {
  const body: ExamCreateBody = {
    class_id: draft.classId,
    title: draft.title.trim(),
    items: draft.items,
    time_limit_s: limitSeconds(draft.minutes) ?? 0,
    closes_at: (fromLocalInput(draft.closesAt) as Date).toISOString(),
  };
  if (draft.opensAt) body.opens_at = (fromLocalInput(draft.opensAt) as Date).toISOString();
  return body;
}
