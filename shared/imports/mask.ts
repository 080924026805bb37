/**
 * Phone numbers never appear whole in logs: `13800138000` → `138****8000`, `01012345678` →
 * `010*****5678`. The first three and last four digits stay, so an operator can still tell rows apart.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 7) return '*'.repeat(Math.max(0, digits.length - 2)) + digits.slice(-2);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** Masks every run of 7 to 15 digits (optionally with +, spaces or dashes inside) in free text. */
export function maskPhonesInText(text: string): string {
  return text.replace(/\+?\d[\d\s-]{5,18}\d/g, (match) => {
    const digits = match.replace(/\D/g, '');
    return digits.length >= 7 && digits.length <= 15 ? maskPhone(digits) : match;
  });
}
