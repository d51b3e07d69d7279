import { describe, expect, it } from 'vitest';
import { readMessage } from '../../src/agent/language/message.js';
import { resolveMessage } from '../../src/agent/offline/resolve.js';

/** Periods in French, read by the engine's one date reader (dates.ts) through readMessage. Today: Wednesday 2026-11-25. */
const TODAY = '2026-11-25';

function periodOf(text: string) {
  const [intent] = resolveMessage(readMessage(text).engineText, TODAY, true, null);
  if (!intent || (intent.kind !== 'invoices' && intent.kind !== 'payments')) throw new Error(`${text}: ${JSON.stringify(intent)}`);
  return { kind: intent.kind, ...intent.period, ...(intent.kind === 'invoices' && intent.dateField ? { dateField: intent.dateField } : {}) };
}

describe('French periods', () => {
  it.each([
    ['les factures du mois dernier', { from: '2026-10-01', to: '2026-10-31' }],
    ['factures de ce mois-ci', { from: '2026-11-01', to: '2026-11-30' }],
    ['des factures en mars ?', { from: '2026-03-01', to: '2026-03-31' }],
    ['factures de cette année', { from: '2026-01-01', to: '2026-12-31' }],
    ["factures de l'an dernier", { from: '2025-01-01', to: '2025-12-31' }],
    ["les factures de l'année passée", { from: '2025-01-01', to: '2025-12-31' }],
    ['factures depuis janvier', { from: '2026-01-01', to: null }],
    ['factures depuis octobre', { from: '2026-10-01', to: null }],
    ['les factures du trimestre dernier', { from: '2026-07-01', to: '2026-09-30' }],
    ['factures du T3', { from: '2026-07-01', to: '2026-09-30' }],
    ['factures de la semaine dernière', { from: '2026-11-16', to: '2026-11-22' }],
    ['factures des 30 derniers jours', { from: '2026-10-26', to: '2026-11-25' }],
    ['les factures des trois derniers mois', { from: '2026-08-25', to: '2026-11-25' }],
    ['factures depuis 3 mois', { from: '2026-08-25', to: '2026-11-25' }],
    ['factures entre le 1er septembre et le 15 octobre', { from: '2026-09-01', to: '2026-10-15' }],
    ['factures du 1er au 15 octobre', { from: '2026-10-01', to: '2026-10-15' }],
    ['factures du 2026-11-01 au 2026-11-30', { from: '2026-11-01', to: '2026-11-30' }],
    ['factures depuis le 01/10/2026', { from: '2026-10-01', to: null }],
    ['factures émises après le 1er novembre', { from: '2026-11-02', to: null }],
    ['factures émises avant octobre', { from: null, to: '2026-09-30' }],
    ['factures de decembre', { from: '2025-12-01', to: '2025-12-31' }],
    ["mes factures d'octobr", { from: '2026-10-01', to: '2026-10-31' }],
  ])('%s', (text, period) => {
    expect(periodOf(text)).toEqual({ kind: 'invoices', ...period });
  });

  it('due dates look forward ("dues en décembre", "à échéance le mois prochain", "avant le 15")', () => {
    expect(periodOf('Quelles factures sont dues en décembre?')).toEqual({ kind: 'invoices', from: '2026-12-01', to: '2026-12-31', dateField: 'due' });
    expect(periodOf("Qu'est-ce qui arrive à échéance le mois prochain ?")).toEqual({ kind: 'invoices', from: '2026-12-01', to: '2026-12-31', dateField: 'due' });
    expect(periodOf("qu'est-ce qui est dû avant le 15 ?")).toEqual({ kind: 'invoices', from: null, to: '2026-11-14', dateField: 'due' });
    expect(periodOf('Y a-t-il quelque chose à payer la semaine prochaine?')).toEqual({ kind: 'invoices', from: '2026-11-30', to: '2026-12-06', dateField: 'due' });
    expect(periodOf("Qu'est-ce qui vient à échéance en janvier ?")).toEqual({ kind: 'invoices', from: '2027-01-01', to: '2027-01-31', dateField: 'due' });
  });

  it('payments by period', () => {
    expect(periodOf('mes paiements du mois dernier')).toEqual({ kind: 'payments', from: '2026-10-01', to: '2026-10-31' });
    expect(periodOf('paiements depuis le début de l’année')).toEqual({ kind: 'payments', from: '2026-01-01', to: TODAY });
    expect(periodOf('paiements faits il y a un mois')).toEqual({ kind: 'payments', from: '2026-10-01', to: '2026-10-31' });
    expect(periodOf('Combien avons-nous payé ce trimestre ?')).toEqual({ kind: 'payments', from: '2026-10-01', to: '2026-12-31' });
  });

  it('a status with a period ("factures en retard d\'octobre", "impayées émises ce mois-ci")', () => {
    expect(resolveMessage(readMessage("factures en retard d'octobre").engineText, TODAY, true, null)).toEqual([
      { kind: 'invoices', status: 'overdue', period: { from: '2026-10-01', to: '2026-10-31' }, limit: null, dateField: null, amount: null },
    ]);
    expect(resolveMessage(readMessage('factures impayées émises ce mois-ci').engineText, TODAY, true, null)).toEqual([
      { kind: 'invoices', status: 'open', period: { from: '2026-11-01', to: '2026-11-30' }, limit: null, dateField: null, amount: null },
    ]);
  });

  it('amounts as French writes them', () => {
    expect(readMessage('Les factures de plus de 1 000 $').engineText).toBe('the invoices over $1,000');
    expect(readMessage('factures de moins de 500$').engineText).toBe('invoices under $500');
    expect(readMessage('montrez celle de 2 494,96 $').engineText).toBe('show the $2,494.96 one');
    expect(resolveMessage(readMessage('Quelles factures impayées dépassent 600 $ ?').engineText, TODAY, true, null)).toEqual([
      { kind: 'invoices', status: 'open', period: null, limit: null, dateField: null, amount: { overCents: 60000, underCents: null } },
    ]);
  });
});
