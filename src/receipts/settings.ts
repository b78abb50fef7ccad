/** How an organisation receipts its gifts, from the configuration (a test builds its own). */
import type { Config } from '../config.ts';

export type Jurisdiction = 'us' | 'ca' | 'uk';

export interface ReceiptSettings {
  /** The rules receipts follow; null: no receipts are issued. */
  jurisdiction: Jurisdiction | null;
  /** The organisation's registered name, as the tax authority knows it. */
  legalName: string;
  /** US EIN, Canadian charity registration number, UK charity number. */
  taxId: string;
  /** Who signs a Canadian official receipt. */
  signatory: string;
  /** Where receipts are issued (Canada asks for the place of issue). */
  address: string;
  /** The time zone whose calendar year a gift's receipt is numbered in. */
  timeZone: string;
}

export const noReceipts: ReceiptSettings = { jurisdiction: null, legalName: '', taxId: '', signatory: '', address: '', timeZone: 'UTC' };

export function receiptSettings(config: Config): ReceiptSettings {
  return {
    jurisdiction: config.STEWARD_RECEIPT_JURISDICTION === 'none' ? null : config.STEWARD_RECEIPT_JURISDICTION,
    legalName: config.STEWARD_ORG_LEGAL_NAME ?? config.STEWARD_ORG_NAME,
    taxId: config.STEWARD_ORG_TAX_ID ?? '',
    signatory: config.STEWARD_RECEIPT_SIGNATORY ?? '',
    address: config.STEWARD_ORG_ADDRESS,
    timeZone: config.STEWARD_TIMEZONE,
  };
}

/** Whether a receipt under these rules carries an official PDF: Canada's official donation receipt does. */
export function receiptNeedsPdf(jurisdiction: Jurisdiction): boolean {
  return jurisdiction === 'ca';
}
