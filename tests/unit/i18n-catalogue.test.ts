import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AREAS } from '../../src/i18n/catalogue/index.js';
import type { Messages } from '../../src/i18n/catalogue/types.js';
import { LOCALES, type Locale } from '../../src/i18n/locales.js';
import { t } from '../../src/i18n/index.js';

/**
 * The catalogue test (French issue, item 5): every key exists in every locale with the plural forms
 * that locale's rules need and the same placeholders, and every key is used somewhere in the code
 * (a key is used when its full name, `area.path`, is written as a string in src/ or tools/).
 */

const PLURAL = /_(zero|one|two|few|many|other)$/;
const root = join(import.meta.dirname, '../..');

function flatten(m: Messages, prefix: string, out: Map<string, string>): Map<string, string> {
  for (const [k, v] of Object.entries(m)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else flatten(v, key, out);
  }
  return out;
}

function keysOf(locale: Locale): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, area] of Object.entries(AREAS)) flatten(area[locale] as Messages, name, out);
  return out;
}

/** base key → plural categories present ([] for a plain key). */
function bases(keys: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of keys.keys()) {
    const m = PLURAL.exec(key);
    const base = m ? key.slice(0, m.index) : key;
    const list = out.get(base) ?? [];
    if (m) list.push(m[1]!);
    out.set(base, list);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort();

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules' && name !== 'static') sourceFiles(p, out);
    } else if (/\.(ts|css)$/.test(name)) out.push(p);
  }
  return out;
}

const perLocale = Object.fromEntries(LOCALES.map((l) => [l, keysOf(l)])) as Record<Locale, Map<string, string>>;
const perLocaleBases = Object.fromEntries(LOCALES.map((l) => [l, bases(perLocale[l])])) as Record<Locale, Map<string, string[]>>;
const allBases = [...new Set(LOCALES.flatMap((l) => [...perLocaleBases[l].keys()]))].sort();

describe('the message catalogue', () => {
  it('has every key in every locale', () => {
    const missing = LOCALES.flatMap((l) => allBases.filter((b) => !perLocaleBases[l].has(b)).map((b) => `${l}: ${b}`));
    expect(missing).toEqual([]);
  });

  it('has the plural forms each locale needs for every plural key', () => {
    const problems: string[] = [];
    for (const l of LOCALES) {
      const needed = new Intl.PluralRules(l).resolvedOptions().pluralCategories;
      for (const base of allBases) {
        const isPlural = LOCALES.some((x) => (perLocaleBases[x].get(base) ?? []).length > 0);
        if (!isPlural) continue;
        const have = perLocaleBases[l].get(base) ?? [];
        for (const c of needed) if (c !== 'zero' && c !== 'two' && c !== 'few' && !have.includes(c)) problems.push(`${l}: ${base}_${c}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses the same placeholders in every locale', () => {
    const problems: string[] = [];
    for (const base of allBases) {
      const forms = LOCALES.map((l) => {
        const keys = [...perLocale[l].keys()].filter((k) => k === base || (k.startsWith(`${base}_`) && PLURAL.test(k)));
        return [...new Set(keys.flatMap((k) => placeholders(perLocale[l].get(k)!)))].sort().join(',');
      });
      if (new Set(forms).size > 1) problems.push(`${base}: ${forms.join(' | ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('has no empty message and no HTML in messages', () => {
    const problems: string[] = [];
    for (const l of LOCALES) for (const [k, v] of perLocale[l]) if (!v.trim() || /<\/?[a-z][^>]*>/i.test(v)) problems.push(`${l}: ${k}`);
    expect(problems).toEqual([]);
  });

  it('has no unused key: each is written in full somewhere in src/ or tools/', () => {
    const catalogueDir = join(root, 'src/i18n/catalogue');
    const code = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'tools'))]
      .filter((f) => !f.startsWith(catalogueDir))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = allBases.filter((b) => !code.includes(`'${b}'`) && !code.includes(`"${b}"`) && !code.includes(`\`${b}\``));
    expect(unused, `unused keys (or used only through a computed name: write the full key in a table)`).toEqual([]);
  });

  it('translates through i18next with plural rules and placeholders', () => {
    expect(t('fr-CA', 'status.overdue_partially_paid')).toBe('En retard (partiellement payée)');
    expect(t('en-CA', 'status.paid')).toBe('Paid');
  });
});
