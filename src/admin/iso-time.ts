/** A time in milliseconds as views show it (ISO 8601, UTC); null stays null. */
export const isoTime = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();
