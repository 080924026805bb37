/** Masks runs of 7 or more digits that look like phone numbers, keeping the first 3 and last 4. */
export function maskPhonesInText(text: string): string {
  return text.replace(
    /(?<![\d])(\+?\d{3})(\d{3,8})(\d{4})(?![\d])/g,
    (_m, a: string, mid: string, z: string) => `${a}${'*'.repeat(mid.length)}${z}`,
  );
}
