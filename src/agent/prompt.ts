import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { OPENING_FEE_CENTS } from '../billing/ledger.js';
import { formatMoney } from '../format/money.js';
import { projectPath } from '../paths.js';

export interface SystemPrompt {
  /** e.g. "system.v1@3f2a9c1b": file name and content hash, recorded on every answer. */
  version: string;
  text: string;
}

/** Facts owned by code that a prompt names as `{{NAME}}` (e.g. the opening fee from OPENING_FEE_CENTS). */
const PROMPT_VALUES: Readonly<Record<string, string>> = {
  OPENING_FEE: formatMoney(OPENING_FEE_CENTS),
};

/** Fills the `{{NAME}}` placeholders; an unknown one stops the start-up. */
export function fillPrompt(template: string, name: string): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, key: string) => {
    const value = PROMPT_VALUES[key];
    if (value === undefined) throw new Error(`prompts/${name}.md: unknown placeholder {{${key}}}`);
    return value;
  });
}

/**
 * Loads a versioned prompt from prompts/. Read once at start-up; the text is static across turns.
 * The version hashes the filled text: what the model sees.
 */
export function loadSystemPrompt(name = 'system.v1'): SystemPrompt {
  const text = fillPrompt(fs.readFileSync(projectPath('prompts', `${name}.md`), 'utf8'), name).trim();
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return { version: `${name}@${hash}`, text };
}
