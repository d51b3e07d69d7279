import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { buildWidget, PREBUILT_WIDGET } from '../web/widget-bundle.js';

/**
 * npm run build:widget            writes src/web/static/widget.js (commit it: production serves it)
 * npm run build:widget -- --check exits 1 when the committed file does not match the sources
 */
const check = process.argv.includes('--check');
const code = await buildWidget();
const size = `${(Buffer.byteLength(code) / 1024).toFixed(1)} KiB minified, ${(gzipSync(code).length / 1024).toFixed(1)} KiB gzipped`;
if (check) {
  const current = fs.existsSync(PREBUILT_WIDGET) ? fs.readFileSync(PREBUILT_WIDGET, 'utf8') : '';
  if (current !== code) {
    console.error(`${PREBUILT_WIDGET} is out of date: run npm run build:widget`);
    process.exit(1);
  }
  console.log(`widget.js is up to date (${size})`);
} else {
  fs.writeFileSync(PREBUILT_WIDGET, code);
  console.log(`wrote ${PREBUILT_WIDGET} (${size})`);
}
