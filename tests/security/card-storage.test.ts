import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openConfiguredDatabase, prepareDatabase } from '../../src/bootstrap.js';
import { testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { CARD_REDACTION } from '../../src/redaction/card-data.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { group, inScript, luhnCheckDigit, readable } from './card-arbitraries.js';

/**
 * Issue #11, "Must show" 2: through the chat API of an app started as `npm start` starts it (a
 * PGlite data directory on disk, migrated and seeded on first start, the offline engine), one
 * message per format class of defect 1; then the app is closed and every file of the data
 * directory is read: no card number is in any of them, in any digit script or spelling. On
 * PostgreSQL (DATABASE_URL), every row of every table is read instead.
 */

/** A Luhn-valid number with a card brand's prefix, different for every class (so a leak names its class). */
function pan(prefix: string, n: number, length = 16): string {
  let body = prefix;
  for (let i = 0; body.length < length - 1; i++) body += String((n * 7 + i * 3 + (n >> i) + 1) % 10);
  return body + luhnCheckDigit(body);
}

interface FormatClass {
  name: string;
  number: string;
  /** The messages sent, in order (two for a number split across messages). */
  messages: string[];
}

const PREFIXES = ['4', '51', '2221', '37', '6011', '3530', '62', '36', '65', '5018'];
let counter = 0;
function cls(name: string, write: (n: string) => string | string[], length?: number): FormatClass {
  const n = counter++;
  const number = pan(PREFIXES[n % PREFIXES.length]!, n, length ?? (PREFIXES[n % PREFIXES.length] === '37' ? 15 : 16));
  const out = write(number);
  return { name, number, messages: Array.isArray(out) ? out : [out] };
}
const s = (number: string, sep: string) => group(number, 'fours', sep);

const CLASSES: FormatClass[] = [
  cls('plain', (n) => `card ${n}`),
  cls('spaced', (n) => `card ${s(n, ' ')}`),
  cls('dashed', (n) => `card ${s(n, '-')}`),
  cls('glued before', (n) => `card${n}`),
  cls('glued after, expiry', (n) => `${n}exp1229`),
  cls('newline', (n) => `card:\n${s(n, '\n')}`),
  cls('tab', (n) => s(n, '\t')),
  cls('double space', (n) => s(n, '  ')),
  cls('dot', (n) => s(n, '.')),
  cls('slash', (n) => s(n, '/')),
  cls('underscore', (n) => s(n, '_')),
  cls('no-break space', (n) => s(n, '\u00a0')),
  cls('en dash', (n) => s(n, '\u2013')),
  cls('pairs', (n) => group(n, 'pairs', ' ')),
  cls('3-3-3-3-4', (n) => group(n, 'threes', ' ')),
  cls('single spaced digits', (n) => group(n, 'singles', ' ')),
  cls('fullwidth', (n) => inScript(s(n, ' '), 0xff10)),
  cls('Arabic-Indic', (n) => inScript(s(n, ' '), 0x660)),
  cls('Devanagari', (n) => inScript(s(n, ' '), 0x966)),
  cls('mathematical bold', (n) => inScript(n, 0x1d7ce)),
  cls('zero-width space', (n) => [...n].join('\u200b')),
  cls('zero-width joiner / non-joiner', (n) => s(n, '\u200d').replace(/(\d)(\d)/g, '$1\u200c$2')),
  cls('word joiner', (n) => s(n, '\u2060')),
  cls('soft hyphen', (n) => s(n, '\u00ad')),
  cls('BOM', (n) => `\ufeff${s(n, '\ufeff')}`),
  cls('combining marks', (n) => n.replace(/\d/g, '$&\u0301')),
  cls('split across two messages', (n) => [n.slice(0, 8).replace(/(\d{4})(?=\d)/, '$1 '), n.slice(8).replace(/(\d{4})(?=\d)/, '$1 ')]),
];

/** A number that is not a card (Luhn fails), stored as typed: proves the scan reads what was stored. */
const CANARY = { text: 'order ref 4921 7305 6618 2043 please', number: '4921730566182043' };

/** The number's digits in order, at most 4 separator characters (not letters or digits) between two. */
const spelled = (number: string) => new RegExp([...number].join('[^0-9A-Za-z]{0,4}'));

/** Which of the numbers appear in the bytes (read as UTF-8, as Latin-1 and as UTF-16). */
function numbersIn(bytes: Buffer, numbers: readonly string[]): string[] {
  const views = [readable(bytes.toString('utf8')), bytes.toString('latin1'), readable(bytes.toString('utf16le'))];
  return numbers.filter((n) => views.some((v) => spelled(n).test(v)));
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('card numbers of every format class are absent from the stored history and the database files', () => {
  const postgres = inject('dbMode') === 'postgres';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-card-storage-'));
  const config = testConfig({ PGLITE_DATA_DIR: dataDir, AUTO_SEED: 'true', FIXED_TODAY: TEST_TODAY, CHAT_RATE_LIMIT_PER_MINUTE: '10000' });
  let database: Database;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app?.close();
  };
  const histories: string[] = [];
  const numbers = CLASSES.map((c) => c.number);

  beforeAll(async () => {
    database = postgres ? await freshDatabase() : await openConfiguredDatabase(config);
    app = await buildApp({ config, database, closeDatabase: true });
    await prepareDatabase(config, database, () => undefined);
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the scan finds a number however it is spelled (not vacuous)', () => {
    expect(numbersIn(Buffer.from(`x${inScript('4921 7305 6618 2043', 0x660)}x`), [CANARY.number])).toEqual([CANARY.number]);
    expect(numbersIn(Buffer.from('4\u200b921.7305.6618.2043', 'utf16le'), [CANARY.number])).toEqual([CANARY.number]);
    expect(numbersIn(Buffer.from(`id 4921730566182043${CARD_REDACTION}`), numbers)).toEqual([]);
    for (const c of CLASSES) expect(numbersIn(Buffer.from(c.messages.join('')), [c.number]), c.name).toEqual([c.number]);
  });

  it(
    `${CLASSES.length} format classes through the chat API: policy answers, no card in the history`,
    async () => {
      const headers = { authorization: `Bearer ${await signSessionToken(config, { accountId: 'R10042', userId: 'user@r10042.test' })}` };
      for (const c of [...CLASSES, { name: 'canary', number: CANARY.number, messages: [CANARY.text] }]) {
        const conv = await app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
        expect(conv.statusCode, conv.body).toBe(201);
        const id = conv.json<{ id: string }>().id;
        let model = '';
        for (const text of c.messages) {
          const res = await app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers, payload: { text } });
          expect(res.statusCode, `${c.name}: ${res.body}`).toBe(200);
          model = res.json<{ model: string }>().model;
        }
        expect(model, c.name).toBe(c.name === 'canary' ? 'offline' : 'policy');
        const history = await app.inject({ method: 'GET', url: `/v1/chat/conversations/${id}/messages`, headers });
        histories.push(history.body);
        expect(numbersIn(Buffer.from(history.body), numbers), c.name).toEqual([]);
      }
      expect(numbersIn(Buffer.from(histories.join('\n')), [CANARY.number])).toEqual([CANARY.number]);
    },
    120_000,
  );

  it(
    postgres ? 'no card number in any row of any table (PostgreSQL)' : 'no card number in any file of the PGlite data directory, after the app closed',
    async () => {
      if (postgres) {
        const tables = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = 'public'`.execute(database.db);
        const rows: string[] = [];
        for (const { name } of tables.rows) {
          const r = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(database.db);
          rows.push(...r.rows.map((x) => x.row));
        }
        const all = Buffer.from(rows.join('\n'));
        expect(numbersIn(all, [CANARY.number])).toEqual([CANARY.number]);
        expect(numbersIn(all, numbers)).toEqual([]);
        return;
      }
      await close();
      const files = filesUnder(dataDir);
      expect(files.length).toBeGreaterThan(100);
      const hits: string[] = [];
      let canarySeen = false;
      for (const file of files) {
        const bytes = fs.readFileSync(file);
        canarySeen ||= numbersIn(bytes, [CANARY.number]).length > 0;
        for (const n of numbersIn(bytes, numbers)) hits.push(`${path.relative(dataDir, file)}: ${CLASSES.find((c) => c.number === n)!.name}`);
      }
      // The canary (not a card) was stored as typed and is found: the files hold the conversations.
      expect(canarySeen).toBe(true);
      expect(hits).toEqual([]);
    },
    120_000,
  );
});
