import type { Area } from './types.js';

/** The chat service's own answers (approvals, the card-data policy): they follow the language of the user's message. */
export const chat = {
  'en-CA': {
    cardPolicy: {
      text: "For your security, I can't take card details in chat, and I've removed them from this conversation. Card details are only ever entered on our secure payment page.",
      payThis: 'To pay {{number}}, use the Pay button below to open the secure payment page.',
      askLink: 'Ask me for a payment link for the invoice you want to pay.',
    },
    approval: {
      noLongerPending: 'That request is no longer waiting for approval (it expired or was already decided), so nothing was done. Ask again if you still want it.',
      expired: 'That request expired before it was approved, so nothing was done. Ask again if you still want it.',
      declined: "OK, I won't do that ({{summary}}). Nothing was sent.",
      declinedPlain: "OK, I won't do that. Nothing was sent.",
      unavailable: 'That action is no longer available, so nothing was done.',
      failed: "I couldn't do that: {{message}}",
      failedOurSide: 'That failed on our side; please try again later.',
      done: 'Done.',
      followUpSent: 'Your {{topic}} was passed to the accounts-receivable team as {{reference}}; they will reply by email.',
      followUpSentAbout: 'Your {{topic}} about {{number}} was passed to the accounts-receivable team as {{reference}}; they will reply by email.',
      followUpRecorded: 'Your {{topic}} was recorded as {{reference}}, but the accounts-receivable team could not be notified yet; it stays on file for them.',
      followUpRecordedAbout: 'Your {{topic}} about {{number}} was recorded as {{reference}}, but the accounts-receivable team could not be notified yet; it stays on file for them.',
    },
  },
  'fr-CA': {
    cardPolicy: {
      text: 'Pour votre sécurité, je ne peux pas recevoir de données de carte dans le clavardage, et je les ai retirées de cette conversation. Les données de carte se saisissent uniquement sur notre page de paiement sécurisée.',
      payThis: 'Pour payer {{number}}, utilisez le bouton Payer ci-dessous : il ouvre la page de paiement sécurisée.',
      askLink: 'Demandez-moi un lien de paiement pour la facture que vous voulez payer.',
    },
    approval: {
      noLongerPending: 'Cette demande n’attend plus d’approbation (elle a expiré ou a déjà été traitée) : rien n’a été fait. Redemandez-le si vous le voulez toujours.',
      expired: 'Cette demande a expiré avant d’être approuvée : rien n’a été fait. Redemandez-le si vous le voulez toujours.',
      declined: 'D’accord, je ne le ferai pas ({{summary}}). Rien n’a été envoyé.',
      declinedPlain: 'D’accord, je ne le ferai pas. Rien n’a été envoyé.',
      unavailable: 'Cette action n’est plus offerte : rien n’a été fait.',
      failed: 'Je n’ai pas pu le faire : {{message}}',
      failedOurSide: 'Un problème est survenu de notre côté; veuillez réessayer plus tard.',
      done: 'C’est fait.',
      followUpSent: 'Votre {{topic}} a été transmise à l’équipe des comptes clients sous la référence {{reference}}; elle vous répondra par courriel.',
      followUpSentAbout: 'Votre {{topic}} concernant {{number}} a été transmise à l’équipe des comptes clients sous la référence {{reference}}; elle vous répondra par courriel.',
      followUpRecorded: 'Votre {{topic}} a été enregistrée sous la référence {{reference}}, mais l’équipe des comptes clients n’a pas encore pu être avisée; elle reste à son dossier.',
      followUpRecordedAbout: 'Votre {{topic}} concernant {{number}} a été enregistrée sous la référence {{reference}}, mais l’équipe des comptes clients n’a pas encore pu être avisée; elle reste à son dossier.',
    },
  },
} satisfies Area;
