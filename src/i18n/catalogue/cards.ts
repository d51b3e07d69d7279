import type { Area } from './types.js';

/** Card titles and summaries, tool progress labels and the REST API's display strings (they follow the user's locale, not the message's language). */
export const cards = {
  'en-CA': {
    tool: {
      balance: 'Checking your balance',
      invoice: 'Looking up invoice {{number}}',
      invoices: 'Searching your invoices',
      outstanding: 'Finding your outstanding invoices',
      payments: 'Looking up your payments',
      credits: 'Looking up your credits',
      paymentLink: 'Preparing a secure payment link for {{number}}',
      followUp: 'Passing your request to the accounts-receivable team',
    },
    list: {
      invoices: 'Invoices',
      filtered: 'Invoices ({{filters}})',
      outstanding: 'Outstanding invoices',
      other: 'Other {{title}}',
    },
    filter: {
      open: 'open',
      due: 'due',
      overdue: 'overdue',
      paid: 'paid',
      partially_paid: 'partially paid',
      void: 'void',
      from: 'from {{date}}',
      to: 'to {{date}}',
      dueFrom: 'due from {{date}}',
      dueTo: 'due to {{date}}',
      over: 'over {{amount}}',
      under: 'under {{amount}}',
    },
    followUp: {
      summary: 'Pass your {{topic}} to the accounts-receivable team, who will reply by email.',
      summaryAbout: 'Pass your {{topic}} about {{number}} to the accounts-receivable team, who will reply by email.',
      topic: {
        dispute: 'dispute request',
        extension: 'due-date extension request',
        refund: 'refund request',
        other: 'request',
      },
    },
  },
  'fr-CA': {
    tool: {
      balance: 'Vérification de votre solde',
      invoice: 'Recherche de la facture {{number}}',
      invoices: 'Recherche dans vos factures',
      outstanding: 'Recherche de vos factures impayées',
      payments: 'Recherche de vos paiements',
      credits: 'Recherche de vos crédits',
      paymentLink: 'Préparation d’un lien de paiement sécurisé pour {{number}}',
      followUp: 'Transmission de votre demande à l’équipe des comptes clients',
    },
    list: {
      invoices: 'Factures',
      filtered: 'Factures ({{filters}})',
      outstanding: 'Factures impayées',
      other: 'Autres {{title}}',
    },
    filter: {
      open: 'impayées',
      due: 'à payer',
      overdue: 'en retard',
      paid: 'payées',
      partially_paid: 'partiellement payées',
      void: 'annulées',
      from: 'depuis le {{date}}',
      to: 'jusqu’au {{date}}',
      dueFrom: 'échéance depuis le {{date}}',
      dueTo: 'échéance jusqu’au {{date}}',
      over: 'plus de {{amount}}',
      under: 'moins de {{amount}}',
    },
    followUp: {
      summary: 'Transmettre votre {{topic}} à l’équipe des comptes clients, qui vous répondra par courriel.',
      summaryAbout: 'Transmettre votre {{topic}} concernant {{number}} à l’équipe des comptes clients, qui vous répondra par courriel.',
      topic: {
        dispute: 'contestation',
        extension: 'demande de report d’échéance',
        refund: 'demande de remboursement',
        other: 'demande',
      },
    },
  },
} satisfies Area;
