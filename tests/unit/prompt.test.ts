import { describe, expect, it } from 'vitest';
import { fillPrompt, loadSystemPrompt } from '../../src/agent/prompt.js';

describe('system prompt', () => {
  it('states the opening fee from OPENING_FEE_CENTS and leaves no placeholder', () => {
    const { text } = loadSystemPrompt();
    expect(text).toContain('$50.00');
    expect(text).not.toContain('{{');
  });

  it('pins the version of the text the model sees: a prompt change shows here, in eval reports and in the response cache key', () => {
    // 68df0a34 until 2026-12-02, when the policy line gained "It is the only fee you know of".
    expect(loadSystemPrompt().version).toBe('system.v1@3827c553');
  });

  it('fills a known placeholder and stops on an unknown one', () => {
    expect(fillPrompt('a one-time {{OPENING_FEE}} fee', 'test')).toBe('a one-time $50.00 fee');
    expect(() => fillPrompt('the fee is {{OPENING_FEES}}', 'test')).toThrow('prompts/test.md: unknown placeholder {{OPENING_FEES}}');
  });
});
