import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Relative link targets of a markdown file (anchors and external links left out). */
function relativeLinks(path: string): string[] {
  const text = read(path);
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z]+:/.test(t) && !t.startsWith('#'))
    .map((t) => t.split('#')[0]!);
}

describe('documentation', () => {
  it('README links the local console and every document in docs/, and the license', () => {
    const readme = read('README.md');
    expect(readme).toContain('http://127.0.0.1:3000/console');
    const linked = new Set(relativeLinks('README.md'));
    for (const doc of readdirSync(join(root, 'docs'))) expect([doc, linked.has(`docs/${doc}`)]).toEqual([doc, true]);
    expect(linked.has('LICENSE')).toBe(true);
  });

  it('has no relative link to a file that does not exist, in README or docs/', () => {
    const files = [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const broken = files.flatMap((f) =>
      relativeLinks(f)
        .filter((t) => t !== '' && !existsSync(resolve(root, dirname(f), t)))
        .map((t) => `${f} -> ${t}`),
    );
    expect(broken).toEqual([]);
  });

  it('documents every deploy parameter of serverless.yml in docs/configuration.md', () => {
    const params = read('serverless.yml').match(/params:\n {2}default:\n([\s\S]*?)\n\n/)![1]!;
    const names = [...params.matchAll(/^ {4}([a-zA-Z0-9]+):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(20);
    const doc = read('docs/configuration.md');
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });

  it('ships the Apache-2.0 license that package.json names', () => {
    expect(JSON.parse(read('package.json')).license).toBe('Apache-2.0');
    expect(read('LICENSE')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });
});
