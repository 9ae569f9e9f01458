// Markdown made from text that nobody here wrote: names, candidates, commits and messages from a release
// server (ours, Aviator's or a rogue one) and subjects or author names from git. Every MarkdownString
// the extension builds goes through these, so there is one idea of "inert" and one place to fix it.
// Pure and platform-free.

/**
 * Every ASCII punctuation character: CommonMark lets a backslash make any of them literal, and escaping
 * all of them (not a hand-picked list) leaves nothing that can start emphasis, a link, an autolink
 * (`https\://`, `www\.`, `a\@b`), an entity (`\&amp;`), raw HTML, a heading (`#`, or a setext `===`
 * underline), a list or a table.
 */
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/g;
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/;
/** Leading blanks would make an indented code block of a line that starts a paragraph. */
const LEADING_BLANKS = /^[ \t]+/;
/**
 * VS Code draws `$(name)` as a theme icon after the markdown is rendered to HTML (so a backslash before
 * the `$` is gone by then, and code spans are not spared): an invisible zero-width space between `$`
 * and `(` is the one way to show the characters themselves, whether or not icons are on.
 */
const THEME_ICON_START = /\$\(/g;

/** Text shown as itself in markdown or in a label that draws theme icons (a status bar item's text). */
export function withoutThemeIcons(text: string): string {
  return text.replace(THEME_ICON_START, () => '$\u200b(');
}

function inert(line: string): string {
  return withoutThemeIcons(line)
    .replace(ASCII_PUNCTUATION, '\\$&')
    .replace(LEADING_BLANKS, (blanks) => '&nbsp;'.repeat(blanks.length));
}

/** Text shown as itself on one line: line breaks become spaces, so nothing can start a new block. */
export function escapeMarkdown(text: string): string {
  return inert(text.split(LINE_BREAK).join(' '));
}

/**
 * Multi-line text (an error message, a script's output) shown as itself, line by line: each line inert,
 * joined by hard line breaks inside one paragraph. Blank lines are dropped: one would end the paragraph.
 */
export function escapeMarkdownLines(text: string): string {
  return text
    .split(LINE_BREAK)
    .filter((line) => line.trim() !== '')
    .map(inert)
    .join('  \n');
}

/**
 * An inline code span showing `text` verbatim. Nothing is backslash-escaped inside (a code span shows
 * backslashes as they are); instead the fence is one backtick longer than the longest run of backticks
 * in the text, and padded with a space when the text starts or ends with a backtick or a space (the
 * parser strips one space from each side again). Line breaks become spaces: a blank line would end the
 * paragraph and the span with it. Theme icons are kept from forming as in text.
 */
export function markdownCode(text: string): string {
  const content = withoutThemeIcons(text.split(LINE_BREAK).join(' '));
  if (content === '') return '';
  const longestRun = Math.max(0, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = /^[` ]|[` ]$/.test(content) && content.trim() !== '' ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

/**
 * A link title, quotes included: `"…"`. Backslash escapes count inside a title, so the same escaping as
 * text keeps a quote or a line break from ending it and what follows from being read as markdown.
 */
export function markdownLinkTitle(text: string): string {
  return `"${escapeMarkdown(text)}"`;
}

const COMMAND_ID = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * A `command:` link target: VS Code JSON-parses the decoded query and passes it as the command's
 * argument. Characters encodeURIComponent leaves alone but markdown reads (`(`, `)`, `'`, `!`, `*`, `~`)
 * are percent-encoded too, so no argument can end the link destination early.
 */
export function commandUri(command: string, args: unknown): string {
  if (!COMMAND_ID.test(command)) throw new Error(`not a command id: ${JSON.stringify(command)}`);
  const query = encodeURIComponent(JSON.stringify(args))
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `command:${command}?${query}`;
}

/**
 * `[label](command:…?args "title")`. The label is markdown the caller made (escaped text, theme icons);
 * the title is plain text and is escaped here.
 */
export function commandLink(label: string, command: string, args: unknown, title: string): string {
  return `[${label}](${commandUri(command, args)} ${markdownLinkTitle(title)})`;
}
