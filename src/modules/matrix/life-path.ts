// Numerology life path (contract §6.3): digit sum of YYYYMMDD, reduced until ≤ 9, master numbers kept.
export const TRAITS: Record<number, string> = {
  1: 'Initiator', 2: 'Diplomat', 3: 'Creator', 4: 'Builder', 5: 'Explorer', 6: 'Nurturer', 7: 'Seeker', 8: 'Leader', 9: 'Humanitarian',
  11: 'Visionary', 22: 'Architect', 33: 'Guide',
};
const MASTER = new Set([11, 22, 33]);
const digitSum = (s: string) => [...s].reduce((a, c) => a + Number(c), 0);

export function lifePath(birthDate: string | null | undefined): { lifePath: number; traits: { primary_trait: string; raw_sum: number } } | null {
  if (!birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) return null;
  let total = digitSum(birthDate.replaceAll('-', ''));
  while (total > 9 && !MASTER.has(total)) total = digitSum(String(total));
  return { lifePath: total, traits: { primary_trait: TRAITS[total] ?? 'Mystic', raw_sum: total } };
}
