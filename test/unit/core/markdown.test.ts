// The one escaping module for markdown built from others' text. Each crafted input is checked two ways:
// the output is inert by CommonMark's own rules (every ASCII punctuation character backslash-escaped, no
// line break that could start a block), and reading it back by those rules gives the text itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLink, commandUri, escapeMarkdown, escapeMarkdownLines, markdownCode, markdownLinkTitle, withoutThemeIcons } from '../../../src/core/markdown';

const CRAFTED = [
  '1.4.0-rc2',
  '# Heading',
  'Deploy failed\n===\nsee https://evil.example/login or www.evil.example or ops@evil.example',
  '[click](command:flightdeck.signIn?%22fd_attacker%22)',
  'x](command:flightdeck.signIn?%22fd_attacker%22 "t") [y',
  '![img](https://evil.example/a.png)',
  '<img src=x onerror=alert(1)> <b>bold</b> &amp; &#x3C;',
  '`code` and ``double`` and a lone ` backtick',
  '*em* _em_ **strong** ~~gone~~',
  '- item\n1. item\n> quote\n| a | b |\n|---|---|',
  '    indented code',
  '$(zap) an icon, \\$(zap) an escaped one',
  'back\\slash at the end\\',
  'line one\r\nline two\n\n\nline three\u2028four',
  'trailing spaces  \nhard break',
  '[ref]: https://evil.example\n[ref]',
];

const PUNCTUATION = /[!-/:-@[-`{-~]/;
const NBSP = '&nbsp;';

/** CommonMark's reading of a line made only of escaped punctuation, plain characters and leading &nbsp;s. */
function readInert(line: string): string {
  let i = 0;
  let out = '';
  while (line.startsWith(NBSP, i)) {
    out += ' ';
    i += NBSP.length;
  }
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      const next = line[i + 1];
      assert.ok(next !== undefined && PUNCTUATION.test(next), `a backslash escapes punctuation at ${i} of ${JSON.stringify(line)}`);
      out += next;
      i++;
    } else {
      assert.ok(!PUNCTUATION.test(c), `unescaped ${JSON.stringify(c)} at ${i} of ${JSON.stringify(line)}`);
      out += c;
    }
  }
  return out.replace(/\u200b/g, '');
}

const lines = (text: string): string[] => text.split(/\r\n|[\r\n\u2028\u2029]/);

describe('escapeMarkdown', () => {
  for (const text of CRAFTED) {
    it(`keeps ${JSON.stringify(text.slice(0, 40))} literal, on one line`, () => {
      const md = escapeMarkdown(text);
      assert.doesNotMatch(md, /[\r\n\u2028\u2029]/);
      assert.equal(readInert(md), lines(text).join(' '));
    });
  }

  it('breaks what would become a link, a heading, an autolink, an entity or a theme icon', () => {
    assert.equal(escapeMarkdown('[x](command:evil) *b*'), '\\[x\\]\\(command\\:evil\\) \\*b\\*');
    assert.equal(escapeMarkdown('# h'), '\\# h');
    assert.equal(escapeMarkdown('https://e.example'), 'https\\:\\/\\/e\\.example');
    assert.equal(escapeMarkdown('&amp;'), '\\&amp\\;');
    // VS Code draws icons after rendering, so `$(` is split by a zero-width space, not a backslash.
    assert.equal(escapeMarkdown('$(zap)'), '\\$\u200b\\(zap\\)');
  });

  it('keeps leading blanks from making an indented code block', () => {
    assert.equal(escapeMarkdown('    x'), '&nbsp;&nbsp;&nbsp;&nbsp;x');
  });
});

describe('escapeMarkdownLines', () => {
  it('keeps each line, literal, as hard line breaks in one paragraph', () => {
    const md = escapeMarkdownLines('Deploy failed\n===\n\n\n# not a heading\r\n    at run (deploy.sh:3)');
    const parts = md.split('  \n');
    assert.equal(parts.length, 4, 'blank lines are dropped: one would end the paragraph');
    assert.doesNotMatch(md.replace(/ {2}\n/g, ''), /\n/);
    assert.deepEqual(parts.map(readInert), ['Deploy failed', '===', '# not a heading', '    at run (deploy.sh:3)']);
  });

  for (const text of CRAFTED) {
    it(`keeps ${JSON.stringify(text.slice(0, 40))} literal line by line`, () => {
      const md = escapeMarkdownLines(text);
      assert.deepEqual(md.split('  \n').map(readInert), lines(text).filter((l) => l.trim() !== ''));
    });
  }
});

/** CommonMark's reading of an inline code span: the fence, the content verbatim, one space stripped from each side when both have one. */
function readCodeSpan(md: string): string {
  const fence = /^`+/.exec(md)?.[0];
  assert.ok(fence, `starts with a fence: ${md}`);
  assert.ok(md.endsWith(fence) && md.length >= fence.length * 2 + 1, `ends with the same fence: ${md}`);
  assert.ok(!md.endsWith(`\`${fence}`), `the closing fence is exactly ${fence.length} backticks: ${md}`);
  let content = md.slice(fence.length, md.length - fence.length);
  for (const run of content.match(/`+/g) ?? []) assert.notEqual(run.length, fence.length, `no run of ${fence.length} backticks inside: ${md}`);
  assert.doesNotMatch(content, /[\r\n]/);
  if (content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') content = content.slice(1, -1);
  return content.replace(/\u200b/g, '');
}

describe('markdownCode', () => {
  it('shows a version as it is, without backslashes', () => {
    assert.equal(markdownCode('1.4.0-rc2'), '`1.4.0-rc2`');
    assert.equal(markdownCode('a_b*c<d>&e'), '`a_b*c<d>&e`');
  });

  it('fences text holding backticks with a longer run, padded where it starts or ends with one', () => {
    assert.equal(markdownCode('a`b'), '``a`b``');
    assert.equal(markdownCode('``x'), '``` ``x ```');
    assert.equal(markdownCode('x`'), '`` x` ``');
  });

  for (const text of [...CRAFTED, ' padded ', '`', ' ` ', '```', 'a ``` b ` c']) {
    it(`shows ${JSON.stringify(text.slice(0, 40))} verbatim in a code span`, () => {
      assert.equal(readCodeSpan(markdownCode(text)), lines(text).join(' '));
    });
  }

  it('keeps a theme icon from forming inside the span', () => {
    assert.equal(markdownCode('$(zap)'), '`$\u200b(zap)`');
  });
});

describe('command links', () => {
  const forged = 'x")\n\n[pwn](command:flightdeck.signIn?%22fd_attacker%22 "t")';

  it('escapes the title so nothing ends it, and a line break cannot end the paragraph', () => {
    const title = markdownLinkTitle(forged);
    assert.ok(title.startsWith('"') && title.endsWith('"'));
    assert.equal(readInert(title.slice(1, -1)), forged.replace(/\n/g, ' '));
  });

  it('carries any argument JSON-encoded with nothing markdown reads left unencoded', () => {
    const args = { sha: 'abc")(\' *!~ \n', project: 'p' };
    const uri = commandUri('flightdeck.copySha', args);
    const query = /^command:flightdeck\.copySha\?(.*)$/.exec(uri)?.[1];
    assert.ok(query !== undefined);
    assert.doesNotMatch(query, /[\s()"'<>\\!*~[\]]/);
    assert.deepEqual(JSON.parse(decodeURIComponent(query)), args);
  });

  it('refuses a command id that is not one', () => {
    assert.throws(() => commandUri('x) [y](command:z', {}));
  });

  it('builds [label](command:…?args "title") whose only link is the one meant', () => {
    const link = commandLink('$(copy) Copy SHA', 'flightdeck.copySha', { sha: forged }, `Copy ${forged}`);
    const match = /^\[\$\(copy\) Copy SHA\]\(command:flightdeck\.copySha\?([^\s)]*) "(.*)"\)$/.exec(link);
    assert.ok(match, link);
    assert.deepEqual(JSON.parse(decodeURIComponent(match[1]!)), { sha: forged });
    assert.equal(readInert(match[2]!), `Copy ${forged.replace(/\n/g, ' ')}`);
  });
});

describe('withoutThemeIcons', () => {
  it('keeps a label that draws icons from drawing one out of others\' text', () => {
    assert.equal(withoutThemeIcons('production $(zap)1.0.0-rc1'), 'production $\u200b(zap)1.0.0-rc1');
    assert.equal(withoutThemeIcons('1.0.0-rc1 $ (x)'), '1.0.0-rc1 $ (x)');
  });
});
