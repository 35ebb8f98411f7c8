// Each published package's README: one set of sections, one runnable example. The example is
// the fenced block after `<!-- readme:example -->`; the publish rehearsal installs the names of
// the README's `pnpm add` line from a registry and runs that block, so the README a user reads
// is the program that was run. check-package.mjs checks the shape on every `pnpm test`.

/** Sections every package README has, in this order (others may sit between them). */
export const README_SECTIONS = ['Install', 'Example', 'Settings', 'Errors', 'Compatibility'];
/** Sections every package README has, anywhere. */
export const README_SECTIONS_ANYWHERE = ['Entry points'];

/** Words that tell the package's history, which belongs in CHANGELOG.md, not the README. */
const HISTORY =
  /\b(previously|formerly|deprecated since|new in \d|as of v?\d|(?:is|are) now|now (?:also )?(?:uses|accepts|returns|supports|has|throws|refuses))\b/i;

/** The `## ` headings of a README, in order. */
export function headings(text) {
  return [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1].trim());
}

/** The package names of the first `pnpm add` line in the Install section (no `-D` lines). */
export function installNames(text) {
  const install = sectionText(text, 'Install') ?? '';
  const line = install.split('\n').find((l) => /^pnpm add (?!-D)/.test(l.trim()));
  return line
    ? line
        .trim()
        .replace(/^pnpm add /, '')
        .split(/\s+/)
        .filter(Boolean)
    : [];
}

function sectionText(text, name) {
  const start = text.search(new RegExp(`^## ${name}$`, 'm'));
  if (start < 0) return undefined;
  const rest = text.slice(start + 1);
  const next = rest.search(/^## /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The runnable example: the first fenced block after the marker, or undefined. */
export function readmeExample(text) {
  const at = text.indexOf('<!-- readme:example -->');
  if (at < 0) return undefined;
  const match = /^```ts\n([\s\S]*?)^```$/m.exec(text.slice(at));
  return match?.[1];
}

/** What is wrong with a package README's shape (empty: nothing). */
export function readmeProblems(text) {
  const problems = [];
  const found = headings(text);
  let last = -1;
  for (const name of README_SECTIONS) {
    const index = found.indexOf(name);
    if (index < 0) problems.push(`no "## ${name}" section`);
    else if (index < last)
      problems.push(`"## ${name}" is out of order (${README_SECTIONS.join(', ')})`);
    else last = index;
  }
  for (const name of README_SECTIONS_ANYWHERE) {
    if (!found.includes(name)) problems.push(`no "## ${name}" section`);
  }
  const markers = text.split('<!-- readme:example -->').length - 1;
  if (markers !== 1) problems.push(`needs one <!-- readme:example --> marker, found ${markers}`);
  else if (!readmeExample(text)) problems.push('no ```ts block after <!-- readme:example -->');
  else if (!(sectionText(text, 'Example') ?? '').includes('<!-- readme:example -->')) {
    problems.push('the <!-- readme:example --> block belongs in "## Example"');
  }
  if (installNames(text).length === 0) problems.push('no `pnpm add …` line in "## Install"');
  const history = HISTORY.exec(text);
  if (history) problems.push(`history words ("${history[0]}"): say what is, not what changed`);
  return problems;
}
