import { parseArgs } from 'node:util';
import { OPERATOR_ID_RE } from '../../identity/operator.js';
import { formatOfPath } from './source.js';
import type { ImportFormat } from './types.js';

/** `npm run billing:import -- --file FILE [...]`: the command line (node:util parseArgs). */

export const USAGE = `usage: npm run billing:import -- --file FILE [options]

  --file FILE        the records: NDJSON (.ndjson, .jsonl) or CSV (.csv) as in README "Bulk import"
  --format F         ndjson or csv (default: from the file's extension)
  --rejects FILE     the reject report, NDJSON or CSV by its extension
                     (default: FILE's name with .rejects.ndjson or .rejects.csv)
  --batch N          records per transaction (default 500, 1 to 5000)
  --operator ID      the audit log's actor (default billing-import)
  --restart          read from the first line even when an import of this file did not complete
                     (without it, an interrupted import continues after its last committed batch)
  --json             the summary as JSON on stdout

Exit status: 0 all records applied or unchanged; 2 some rejected (see the report); 130 interrupted
(run the same command again to continue); 1 an error.`;

export interface ImportArgs {
  file: string;
  format: ImportFormat;
  rejects: string | undefined;
  batch: number;
  operator: string;
  restart: boolean;
  json: boolean;
}

/** A command-line mistake: the message and the usage, exit status 1. */
export class UsageError extends Error {}

export function parseImportArgs(argv: readonly string[]): ImportArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: {
        file: { type: 'string' },
        format: { type: 'string' },
        rejects: { type: 'string' },
        batch: { type: 'string', default: '500' },
        operator: { type: 'string', default: 'billing-import' },
        restart: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return 'help';
  if (!values.file) throw new UsageError('--file is required');
  const format = values.format ?? formatOfPath(values.file);
  if (format !== 'ndjson' && format !== 'csv') throw new UsageError(`--format must be ndjson or csv${values.format ? '' : ' (the file name ends in neither .ndjson, .jsonl nor .csv)'}`);
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 5000) throw new UsageError('--batch must be a whole number from 1 to 5000');
  if (!OPERATOR_ID_RE.test(values.operator)) throw new UsageError('--operator: 1-64 of letters, digits and . _ @ : + - (starting with a letter or digit)');
  return { file: values.file, format, rejects: values.rejects, batch, operator: values.operator, restart: values.restart, json: values.json };
}
