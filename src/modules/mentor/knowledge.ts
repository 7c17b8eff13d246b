// What the mentor knows about a person, from the astro, matrix and soulmatch services. A failing
// lookup degrades to "nothing known" (null) so a chat never fails for want of context.
import type { Ctx } from '../../context.js';

export interface PlanetPosition {
  lon: number;
  sign: string;
  speed?: number;
}

export interface NatalChart {
  planets: Record<string, PlanetPosition>;
  houses: Record<string, { cusp_lon: number; sign: string }>;
  aspects?: unknown[];
  calculated_at?: string;
}

export interface Transits {
  sun_today: string;
  moon_today: string;
  planets: Record<string, { lon: number; sign: string }>;
}

export interface SoulmatchResult {
  user?: { id: number; name?: string; handle?: string; photo?: string };
  user_id?: number;
  score: number;
  components?: Record<string, number>;
  tags?: string[];
  [k: string]: unknown;
}

interface AstroLike {
  chartFor(userId: number): Promise<NatalChart | null>;
  transitsFor(date: Date): Promise<Transits>;
}
interface MatrixLike {
  lifePathFor(userId: number): Promise<number | null>;
}
interface SoulmatchLike {
  compare(viewerId: number, otherId: number): Promise<Record<string, unknown>>;
}

export interface Knowledge {
  chartFor(userId: number): Promise<NatalChart | null>;
  transitsFor(date: Date): Promise<Transits | null>;
  lifePathFor(userId: number): Promise<number | null>;
  /** The soulmatch service's ApiErrors (400 self, 404 unknown/blocked) propagate. */
  compare(viewerId: number, otherId: number): Promise<SoulmatchResult | null>;
}

export function createKnowledge(ctx: Ctx): Knowledge {
  const svc = (): { astro: AstroLike; matrix: MatrixLike; soulmatch: SoulmatchLike } => ctx.services;
  const soft = async <T>(f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f();
    } catch (err) {
      ctx.log.warn({ err }, 'mentor: knowledge lookup failed');
      return null;
    }
  };
  return {
    async chartFor(userId) {
      return (await svc().astro.chartFor(userId)) ?? null;
    },
    async transitsFor(date) {
      return soft(() => svc().astro.transitsFor(date));
    },
    async lifePathFor(userId) {
      return soft(async () => (await svc().matrix.lifePathFor(userId)) ?? null);
    },
    async compare(viewerId, otherId) {
      return (await svc().soulmatch.compare(viewerId, otherId)) as SoulmatchResult;
    },
  };
}
