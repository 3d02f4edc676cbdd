import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../harness/root.js';

// The repository explains itself: no comment or document points at a file that is not in it
// (a design note, a list of facts, a style guide, a sibling checkout, an issue tracker). Where
// a reason is written down elsewhere, a comment points at docs/ (docs/design.md,
// docs/performance.md, ...), and the figures a choice rests on live there too. Links to public
// documentation (Dapr's docs, RFCs, providers' APIs) are addresses, not files, and are fine.

const SELF = relative(ROOT, import.meta.filename);

/** References into a tracker outside the repository. (A document named but not here is found below, by its name.) */
const OUTSIDE: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /\bissue #?\d+\b/i, why: 'an issue number points at a tracker outside the repository: say the point, or point at docs/' },
];

/** Every text file git knows here (committed, or new and not ignored), this test excepted. */
function textFiles(): Array<{ path: string; text: string }> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return [...new Set(listed.split('\0'))]
    .filter((path) => path !== '' && path !== SELF && existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isFile())
    .map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }))
    .filter(({ text }) => !text.includes('\0'));
}

/** `path:line: the line` for each line of `text` where `pattern` matches. */
function linesMatching(path: string, text: string, pattern: RegExp): string[] {
  return text.split('\n').flatMap((line, i) => (pattern.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : []));
}

/** Whether `ref` names a file of the repository, read from `path`'s folder or from the root (never a file beside it). */
function resolves(path: string, ref: string): boolean {
  return [join(ROOT, dirname(path), ref), join(ROOT, ref)].some((p) => !relative(ROOT, normalize(p)).startsWith('..') && existsSync(normalize(p)));
}

describe('the repository explains itself', () => {
  const files = textFiles();

  it('sees the files it checks', () => {
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['README.md', 'docs/design.md', 'docs/performance.md']));
  });

  it('points at no document, checkout or tracker outside it', () => {
    const found = files.flatMap(({ path, text }) => OUTSIDE.flatMap(({ pattern, why }) => linesMatching(path, text, pattern).map((at) => `${at}  (${why})`)));
    expect(found).toEqual([]);
  });

  it('names no relative path that climbs out of it', () => {
    const outside: string[] = [];
    for (const { path, text } of files) {
      text.split('\n').forEach((line, i) => {
        for (const m of line.matchAll(/(?<![\w./-])((?:\.\.\/)+[\w.-]+(?:\/[\w.-]+)*)/g)) {
          const ref = m[1]!;
          // Out of the repository from the file's folder. Some files' paths are read from another
          // folder (dapr.yaml's from each app's): what the repository has under the same name is inside.
          const climbs = relative(ROOT, normalize(join(ROOT, dirname(path), ref))).startsWith('..');
          if (climbs && !existsSync(join(ROOT, ref.replace(/^(\.\.\/)+/, '')))) outside.push(`${path}:${i + 1}: ${ref}`);
        }
      });
    }
    expect(outside).toEqual([]);
  });

  it('names only Markdown files that are in it', () => {
    const missing: string[] = [];
    for (const { path, text } of files) {
      text.split('\n').forEach((line, i) => {
        for (const m of line.matchAll(/(?<![\w./-])((?:\.\.?\/)*(?:[\w.-]+\/)*[\w-]+\.md)\b/g)) {
          if (!resolves(path, m[1]!)) missing.push(`${path}:${i + 1}: ${m[1]}`);
        }
      });
    }
    expect(missing).toEqual([]);
  });

  it('links its Markdown only to files that are in it', () => {
    const broken: string[] = [];
    for (const { path, text } of files.filter((f) => f.path.endsWith('.md'))) {
      const outsideCode = text.replace(/```[\s\S]*?```/g, (block) => block.replace(/[^\n]/g, ' '));
      outsideCode.split('\n').forEach((line, i) => {
        for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1]!.split('#')[0]!;
          if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // an anchor, or an address (https:, mailto:)
          if (!existsSync(join(ROOT, dirname(path), target))) broken.push(`${path}:${i + 1}: ${m[1]}`);
        }
      });
    }
    expect(broken).toEqual([]);
  });
});
