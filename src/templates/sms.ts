/**
 * How many segments an SMS costs. Carriers bill and
 * split by segment: 160 characters of the GSM-7 alphabet (153 each once split),
 * or 70 (67) as soon as one character needs UCS-2, such as an emoji.
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Characters of the GSM-7 extension table: each takes two septets (an escape and the character). */
const GSM_EXTENSION = '\f^{}\\[~]|€';

export function countSegments(body: string): { segments: number; encoding: SmsEncoding } {
  let septets = 0;
  for (const char of body) {
    if (GSM_BASIC.includes(char)) septets += 1;
    else if (GSM_EXTENSION.includes(char)) septets += 2;
    else return ucs2Segments(body);
  }
  return { encoding: 'GSM-7', segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
}

function ucs2Segments(body: string): { segments: number; encoding: SmsEncoding } {
  // UCS-2 counts 16-bit units: an emoji outside the basic plane takes two.
  const units = body.length;
  return { encoding: 'UCS-2', segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
