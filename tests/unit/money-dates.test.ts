import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, endOfMonth, fixedClock, isIsoDate, systemClock } from '../../src/billing/dates.js';
import { formatDate } from '../../src/format/dates.js';
import { centsToDecimal, formatMoney, money, parseAmount } from '../../src/format/money.js';
import { normalizeInvoiceNumber } from '../../src/billing/invoice-number.js';
import { invoiceStatus, type StatusInput } from '../../src/billing/status.js';

describe('money', () => {
  it('turns cents into a decimal string without floats', () => {
    expect(centsToDecimal(0n)).toBe('0.00');
    expect(centsToDecimal(5n)).toBe('0.05');
    expect(centsToDecimal(50n)).toBe('0.50');
    expect(centsToDecimal(5000n)).toBe('50.00');
    expect(centsToDecimal(249496n)).toBe('2494.96');
    expect(centsToDecimal(-7500n)).toBe('-75.00');
    expect(centsToDecimal(-1n)).toBe('-0.01');
    // Beyond 2^53: still exact.
    expect(centsToDecimal(123456789012345678n)).toBe('1234567890123456.78');
  });

  it('formats for people with the currency symbol and thousands separators', () => {
    expect(formatMoney(249496n)).toBe('$2,494.96');
    expect(formatMoney(249496n, 'CAD')).toBe('$2,494.96');
    expect(formatMoney(5000n, 'CAD')).toBe('$50.00');
    expect(formatMoney(0n, 'CAD')).toBe('$0.00');
    expect(formatMoney(99n, 'CAD')).toBe('$0.99');
    expect(formatMoney(100000000n, 'CAD')).toBe('$1,000,000.00');
    expect(formatMoney(-171456n, 'CAD')).toBe('-$1,714.56');
    expect(formatMoney(12345n, 'EUR')).toBe('€123.45');
    expect(formatMoney(12345n, 'GBP')).toBe('£123.45');
    expect(formatMoney(12345n, 'USD')).toBe('$123.45');
    expect(formatMoney(123456n, 'JPY')).toBe('JPY 1,234.56');
  });

  it('builds the money view used by the API', () => {
    expect(money(256996n, 'CAD')).toStrictEqual({ amount: '2569.96', cents: 256996, currency: 'CAD', display: '$2,569.96' });
    expect(money(0n, 'CAD')).toStrictEqual({ amount: '0.00', cents: 0, currency: 'CAD', display: '$0.00' });
  });

  it('parses amounts people type', () => {
    expect(parseAmount('1,234.56')).toBe(123456n);
    expect(parseAmount('$50')).toBe(5000n);
    expect(parseAmount('$ 50')).toBe(5000n);
    expect(parseAmount('50.5')).toBe(5050n);
    expect(parseAmount('0.05')).toBe(5n);
    expect(parseAmount(' 2494.96 ')).toBe(249496n);
    expect(parseAmount('1234567')).toBe(123456700n);
    expect(parseAmount('12,345,678.90')).toBe(1234567890n);
  });

  it('rejects what is not an amount', () => {
    for (const s of ['', 'abc', '-5', '1.234', '1,23', '12,34.56', '$', '1e3', '50 CAD', '.50', '1,234,56']) {
      expect(parseAmount(s), s).toBeNull();
    }
  });
});

describe('dates', () => {
  it('accepts only real calendar dates in YYYY-MM-DD', () => {
    for (const s of ['2026-11-25', '2024-02-29', '2026-12-31', '2026-01-01']) expect(isIsoDate(s), s).toBe(true);
    for (const s of ['2026-13-01', '2026-02-30', '2025-02-29', '2026-00-10', '2026-11-31', '2026-11-5', '26-11-25', 'yesterday', '', '2026-11-25T00:00:00Z', ' 2026-11-25']) {
      expect(isIsoDate(s), s).toBe(false);
    }
  });

  it('adds days across month, year and leap boundaries', () => {
    expect(addDays('2026-11-25', -150)).toBe('2026-06-28');
    expect(addDays('2026-11-25', 10)).toBe('2026-12-05');
    expect(addDays('2026-11-25', 0)).toBe('2026-11-25');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    // Across the DST change (dates are UTC, no zone shifts them).
    expect(addDays('2026-03-07', 1)).toBe('2026-03-08');
    expect(addDays('2026-11-01', 1)).toBe('2026-11-02');
  });

  it('counts days between dates', () => {
    expect(daysBetween('2026-11-25', '2026-12-05')).toBe(10);
    expect(daysBetween('2026-12-05', '2026-11-25')).toBe(-10);
    expect(daysBetween('2026-11-25', '2026-11-25')).toBe(0);
    expect(daysBetween('2026-01-01', '2027-01-01')).toBe(365);
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
  });

  it('finds the end of a month', () => {
    expect(endOfMonth('2026-11')).toBe('2026-11-30');
    expect(endOfMonth('2026-12')).toBe('2026-12-31');
    expect(endOfMonth('2026-02')).toBe('2026-02-28');
    expect(endOfMonth('2024-02')).toBe('2024-02-29');
  });

  it('formats dates for people', () => {
    expect(formatDate('2026-11-25')).toBe('Nov 25, 2026');
    expect(formatDate('2026-01-05')).toBe('Jan 5, 2026');
    expect(formatDate('2026-12-31')).toBe('Dec 31, 2026');
    expect(formatDate('not a date')).toBe('not a date');
  });

  it('pins a fixed clock and refuses non-dates', () => {
    const c = fixedClock('2026-11-25');
    expect(c.today()).toBe('2026-11-25');
    expect(c.now().toISOString()).toBe('2026-11-25T12:00:00.000Z');
    const at = new Date('2026-11-25T08:30:00Z');
    expect(fixedClock('2026-11-25', at).now()).toBe(at);
    expect(() => fixedClock('2026-02-30')).toThrow(/not a date: 2026-02-30/);
  });

  it('reads today in the billing time zone', () => {
    const today = systemClock('America/Toronto').today();
    expect(isIsoDate(today)).toBe(true);
    const expected = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Toronto', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      new Date(),
    );
    expect(today).toBe(expected);
    // Kiribati (UTC+14) and Niue (UTC-11) are never on the same calendar day.
    expect(systemClock('Pacific/Kiritimati').today()).not.toBe(systemClock('Pacific/Niue').today());
  });
});

describe('invoice numbers', () => {
  it('normalises the ways people write them', () => {
    for (const s of ['IN7654321', 'in7654321', 'in 7654321', 'IN-7654321', 'IN#7654321', 'IN: 7654321', '7654321', ' IN7654321 ', 'In7654321']) {
      expect(normalizeInvoiceNumber(s), s).toBe('IN7654321');
    }
  });

  it('rejects anything that is not seven digits', () => {
    for (const s of ['', 'IN', 'IN765432', 'IN76543210', '765432', 'INV7654321', 'IN7654321x', 'PAY-300101', 'CM-100202', "IN7654321' or 1=1"]) {
      expect(normalizeInvoiceNumber(s), s).toBeNull();
    }
  });
});

describe('invoice status', () => {
  const base: StatusInput = { total_cents: 98000n, paid_cents: 0n, credited_cents: 0n, amount_due_cents: 98000n, due_on: '2026-11-25', voided_at: null };
  const today = '2026-11-25';

  it('is due on the due date and overdue the day after', () => {
    expect(invoiceStatus(base, today)).toStrictEqual({ status: 'due', label: 'Due', partiallyPaid: false });
    expect(invoiceStatus(base, '2026-11-26')).toStrictEqual({ status: 'overdue', label: 'Overdue', partiallyPaid: false });
  });

  it('is paid when nothing is due, whatever the due date', () => {
    const paid = { ...base, paid_cents: 98000n, amount_due_cents: 0n, due_on: '2026-01-01' };
    expect(invoiceStatus(paid, today)).toStrictEqual({ status: 'paid', label: 'Paid', partiallyPaid: false });
    const credited = { ...base, paid_cents: 90000n, credited_cents: 8000n, amount_due_cents: 0n };
    expect(invoiceStatus(credited, today)).toStrictEqual({ status: 'paid', label: 'Paid', partiallyPaid: false });
  });

  it('says partially paid, and overdue wins over partially paid', () => {
    const part = { ...base, paid_cents: 50000n, amount_due_cents: 48000n, due_on: '2026-12-01' };
    expect(invoiceStatus(part, today)).toStrictEqual({ status: 'partially_paid', label: 'Partially paid', partiallyPaid: true });
    expect(invoiceStatus({ ...part, due_on: '2026-11-05' }, today)).toStrictEqual({
      status: 'overdue',
      label: 'Overdue (partially paid)',
      partiallyPaid: true,
    });
    const byCredit = { ...base, credited_cents: 100n, amount_due_cents: 97900n, due_on: '2026-12-01' };
    expect(invoiceStatus(byCredit, today).status).toBe('partially_paid');
  });

  it('is void when voided, before anything else', () => {
    expect(invoiceStatus({ ...base, voided_at: new Date('2026-11-01T00:00:00Z'), due_on: '2026-01-01' }, today)).toStrictEqual({
      status: 'void',
      label: 'Void',
      partiallyPaid: false,
    });
    expect(invoiceStatus({ ...base, voided_at: '2026-11-01T00:00:00Z', amount_due_cents: 0n }, today).status).toBe('void');
  });
});
