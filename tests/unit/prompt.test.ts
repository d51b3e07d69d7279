import { describe, expect, it } from 'vitest';
import { fillPrompt, loadSystemPrompt } from '../../src/agent/prompt.js';

describe('system prompt', () => {
  it('states the opening fee from OPENING_FEE_CENTS and leaves no placeholder', () => {
    const { text } = loadSystemPrompt();
    expect(text).toContain('$50.00');
    expect(text).not.toContain('{{');
  });

  it('keeps the version it had before the fee became a placeholder (the text the model sees is byte-identical)', () => {
    expect(loadSystemPrompt().version).toBe('system.v1@68df0a34');
  });

  it('fills a known placeholder and stops on an unknown one', () => {
    expect(fillPrompt('a one-time {{OPENING_FEE}} fee', 'test')).toBe('a one-time $50.00 fee');
    expect(() => fillPrompt('the fee is {{OPENING_FEES}}', 'test')).toThrow('prompts/test.md: unknown placeholder {{OPENING_FEES}}');
  });
});
