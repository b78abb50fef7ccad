/**
 * Personal data and keys taken out of free text that leaves Steward's database: a
 * log line, or an error Temporal keeps in a workflow's history. Errors from
 * providers quote what they refused (`450 4.2.0 <ada@example.org>: greylisted`,
 * `The 'To' number +14155552671 is not a valid phone number`).
 */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /\+\d[\d\s().-]{6,}\d/g;
const API_KEY = /stw_[A-Za-z0-9_-]+/g;

/** The text with every email address, international phone number and Steward API key replaced by what it was. */
export function scrub(text: string): string {
  return text.replace(API_KEY, '[key]').replace(EMAIL, '[email]').replace(PHONE, '[phone]');
}
