import type { InvoiceDetail } from '../billing/queries.js';
import type { BillingService } from '../billing/service.js';
import type { LinkSigner } from '../links/signer.js';
import { renderInvoiceHtml, type Issuer } from './invoice-html.js';
import type { PdfRenderer } from './pdf-pool.js';

export interface InvoicePdf {
  invoice: InvoiceDetail;
  filename: string;
  pdf: Buffer;
}

export type InvoiceDocuments = ReturnType<typeof createInvoiceDocuments>;

/** Invoice documents for one account: the HTML (portal view, PDF source) and the PDF. */
export function createInvoiceDocuments(deps: {
  billing: BillingService;
  links: LinkSigner;
  pdf: PdfRenderer;
  linkTtlSeconds: number;
  timeZone: string;
  now: () => Date;
  issuer?: Issuer;
}) {
  function htmlFor(invoice: InvoiceDetail): string {
    const payUrl = deps.links.url({ purpose: 'pay', accountId: invoice.accountId, invoiceNumber: invoice.number });
    return renderInvoiceHtml(invoice, {
      payUrl,
      payUrlExpiresAt: new Date(deps.now().getTime() + deps.linkTtlSeconds * 1000),
      timeZone: deps.timeZone,
      generatedAt: deps.now(),
      ...(deps.issuer ? { issuer: deps.issuer } : {}),
    });
  }

  async function pdfFor(invoice: InvoiceDetail): Promise<InvoicePdf> {
    return { invoice, filename: `${invoice.number}.pdf`, pdf: await deps.pdf.render(htmlFor(invoice)) };
  }

  return {
    htmlFor,
    pdfFor,
    /** The invoice's HTML document, or null when the account has no such invoice. */
    async html(accountId: string, invoiceNumber: string): Promise<{ invoice: InvoiceDetail; html: string } | null> {
      const invoice = await deps.billing.invoice(accountId, invoiceNumber);
      return invoice ? { invoice, html: htmlFor(invoice) } : null;
    },
    /** The invoice's PDF, or null when the account has no such invoice. Throws PdfUnavailableError (503). */
    async pdf(accountId: string, invoiceNumber: string): Promise<InvoicePdf | null> {
      const invoice = await deps.billing.invoice(accountId, invoiceNumber);
      if (!invoice) return null;
      return pdfFor(invoice);
    },
  };
}
