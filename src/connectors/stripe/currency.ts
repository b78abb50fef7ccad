/**
 * Stripe amounts are integers in the currency's minor unit, as Stripe defines it
 * (https://docs.stripe.com/currencies): most currencies have two decimals, the
 * zero-decimal ones none (1000 JPY is `1000`), the three-decimal ones three
 * (12.340 KWD is `12340`, and Stripe requires its last digit to be 0).
 */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** Decimals of a currency's minor unit in Stripe's API; `currency` in any case. */
export function stripeDecimals(currency: string): 0 | 2 | 3 {
  const code = currency.toUpperCase();
  return ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
}

/** The amount in major units (`1999` USD is 19.99, `1000` JPY is 1000, `12340` KWD is 12.34). */
export function fromStripeAmount(minor: number, currency: string): number {
  const decimals = stripeDecimals(currency);
  // Dividing an integer by a power of ten gives the nearest double to the decimal, which is what Steward stores.
  return decimals === 0 ? minor : minor / 10 ** decimals;
}
