import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { projectPath } from '../paths.js';

export interface SystemPrompt {
  /** e.g. "system.v1@3f2a9c1b": file name and content hash, recorded on every answer. */
  version: string;
  text: string;
}

/** Loads a versioned prompt from prompts/. Read once at start-up; the text is static across turns. */
export function loadSystemPrompt(name = 'system.v1'): SystemPrompt {
  const text = fs.readFileSync(projectPath('prompts', `${name}.md`), 'utf8').trim();
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return { version: `${name}@${hash}`, text };
}
