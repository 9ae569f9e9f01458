// Short human text for times and commits, shared by the tree, hovers, the webview and the CLI. Pure and
// platform-free (no DOM, no Node): the webview bundle imports it too.

export function shortSha(commit: string | null | undefined, length = 7): string {
  return commit ? commit.slice(0, length) : '';
}

/** "just now", "42s ago", "5m ago", "2h ago", "3d ago", "7w ago". */
export function formatAge(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  const days = Math.floor(hours / 24);
  if (days < 14) return `${days}d ago`;
  return `${Math.floor(days / 7)}w ago`;
}

/** "12 s", "4 min 05 s", "1 h 02 min": a duration for countdowns. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  // Past two days, hours stop being readable ("719 h"): days and hours.
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "10:42" (or "10:42:07") in the viewer's local time, for "offline — showing data from 10:42". */
export function formatClock(epochMs: number, seconds = false): string {
  const d = new Date(epochMs);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return seconds ? `${hm}:${String(d.getSeconds()).padStart(2, '0')}` : hm;
}

/** "2026-11-23 10:42:07" in local time, for tooltips next to relative ages. */
export function formatDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${formatClock(ms, true)}`;
}

/** Status words as people say them: `in_progress` → "in progress", `auto_rollback` → "auto rollback". */
export function humanize(word: string): string {
  return word.replace(/_/g, ' ');
}

export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`;
}
