/**
 * A receipt as a PDF, for jurisdictions whose receipt is a document (Canada's
 * official donation receipt). The text is set in DejaVu Sans, embedded (as a
 * subset) so it prints the same everywhere and names with accents come out right.
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { ReceiptData } from './message-data.ts';

const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/** Canada's official receipt: every element the Income Tax Regulations (s. 3501) list, as label and value. */
export function canadianReceiptLines(receipt: ReceiptData, donor: string, money: (amount: string) => string): [string, string][] {
  return [
    ['Receipt number', receipt.serial],
    ...(receipt.replaces ? ([['Replaces receipt', `${receipt.replaces} (cancelled)`]] as [string, string][]) : []),
    ['Charity', receipt.legalName],
    ['Charity registration number', receipt.taxId],
    ['Address', receipt.placeOfIssue],
    ['Place of issue', receipt.placeOfIssue],
    ['Date issued', receipt.issuedOn],
    ['Date gift received', receipt.giftOn],
    ['Donor', donor],
    ['Total amount of gift', money(receipt.amount)],
    ['Value of advantage', money(receipt.benefitValue) + (receipt.benefitDescription ? ` (${receipt.benefitDescription})` : '')],
    ['Eligible amount of gift for tax purposes', money(receipt.eligibleAmount)],
  ];
}

/** The official receipt as PDF bytes. */
export function officialReceiptPdf(receipt: ReceiptData, donor: string, money: (amount: string) => string): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'LETTER', margin: 56, info: { Title: `Official donation receipt ${receipt.serial}`, Author: receipt.legalName } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('body', FONT).registerFont('bold', FONT_BOLD);
  doc.font('bold').fontSize(16).text('Official donation receipt for income tax purposes');
  doc.moveDown();
  for (const [label, value] of canadianReceiptLines(receipt, donor, money)) {
    doc.font('bold').fontSize(10).text(`${label}: `, { continued: true }).font('body').text(value);
  }
  doc.moveDown(2);
  doc.font('body').text(`Authorized signature: ${receipt.signatory || receipt.legalName}`);
  doc.moveDown();
  doc.text(`Canada Revenue Agency: ${receipt.authorityUrl}`);
  doc.end();
  return done;
}
