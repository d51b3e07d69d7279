import type { InvoiceDetail } from '../billing/queries.js';
import type { BillingService } from '../billing/service.js';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.js';
import type { LinkSigner } from '../links/signer.js';
import { renderInvoiceHtml, type Issuer } from './invoice-html.js';
import type { PdfRenderer } from './pdf-pool.js';

export interface InvoicePdf {
  invoice: InvoiceDetail;
  filename: string;
  pdf: Buffer;
}

export type InvoiceDocuments = ReturnType<typeof createInvoiceDocuments>;

/**
 * Invoice documents for one account: the HTML (portal view, PDF source) and the PDF, in the
 * requester's locale (no locale is stored for contacts; en-CA when none is given). Nothing is
 * cached: each PDF is rendered from the HTML of its locale.
 */
export function createInvoiceDocuments(deps: {
  billing: BillingService;
  links: LinkSigner;
  pdf: PdfRenderer;
  linkTtlSeconds: number;
  timeZone: string;
  now: () => Date;
  issuer?: Issuer;
}) {
  function htmlFor(invoice: InvoiceDetail, locale: Locale = DEFAULT_LOCALE): string {
    const payUrl = deps.links.url({ purpose: 'pay', accountId: invoice.accountId, invoiceNumber: invoice.number });
    return renderInvoiceHtml(invoice, {
      locale,
      payUrl,
      payUrlExpiresAt: new Date(deps.now().getTime() + deps.linkTtlSeconds * 1000),
      timeZone: deps.timeZone,
      generatedAt: deps.now(),
      ...(deps.issuer ? { issuer: deps.issuer } : {}),
    });
  }

  async function pdfFor(invoice: InvoiceDetail, locale: Locale = DEFAULT_LOCALE): Promise<InvoicePdf> {
    return { invoice, filename: `${invoice.number}.pdf`, pdf: await deps.pdf.render(htmlFor(invoice, locale)) };
  }

  return {
    htmlFor,
    pdfFor,
    /** The invoice's HTML document, or null when the account has no such invoice. */
    async html(accountId: string, invoiceNumber: string, locale: Locale = DEFAULT_LOCALE): Promise<{ invoice: InvoiceDetail; html: string } | null> {
      const invoice = await deps.billing.invoice(accountId, invoiceNumber);
      return invoice ? { invoice, html: htmlFor(invoice, locale) } : null;
    },
    /** The invoice's PDF, or null when the account has no such invoice. Throws PdfUnavailableError (503). */
    async pdf(accountId: string, invoiceNumber: string, locale: Locale = DEFAULT_LOCALE): Promise<InvoicePdf | null> {
      const invoice = await deps.billing.invoice(accountId, invoiceNumber);
      if (!invoice) return null;
      return pdfFor(invoice, locale);
    },
  };
}
