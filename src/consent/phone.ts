/** Phone numbers as Twilio and the suppression list need them: E.164, one spelling per number. */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** `+15551234567` for `(555) 123-4567` in the US; undefined when it is not a possible number. */
export function toE164(raw: string | null | undefined, defaultCountry: string): string | undefined {
  if (!raw) return undefined;
  const parsed = parsePhoneNumberFromString(raw, defaultCountry as CountryCode);
  return parsed?.isPossible() ? parsed.number : undefined;
}
