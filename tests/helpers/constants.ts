/** The as-of day of the fixture in tests and evals (DESIGN.md: D = 2026-11-25). */
export const TEST_TODAY = '2026-11-25';
