/** Mastery levels (the progress model's rule): 0–40 Beginner, 41–70 Learning, 71–90
 * Proficient, 91–100 Mastered. The API sends the level; this is for when it does not. */

const LEVELS: ReadonlyArray<[number, string]> = [
  [40, "Beginner"],
  [70, "Learning"],
  [90, "Proficient"],
  [100, "Mastered"],
];

export function levelLabel(mastery: number): string {
  const score = Math.round(mastery);
  return LEVELS.find(([ceiling]) => score <= ceiling)?.[1] ?? "Mastered";
}

export function capitalise(word: string): string {
  return word ? word[0].toUpperCase() + word.slice(1) : word;
}
