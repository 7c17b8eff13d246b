// What the mentor knows about a person from the astro, matrix and soulmatch modules. Those modules
// are built on another branch; their services are looked up at run time, so this file compiles and
// answers "nothing known" (null) while they are absent.
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
  compare(viewerId: number, otherId: number): Promise<SoulmatchResult>;
}

export interface Knowledge {
  chartFor(userId: number): Promise<NatalChart | null>;
  transitsFor(date: Date): Promise<Transits | null>;
  lifePathFor(userId: number): Promise<number | null>;
  /** null when the soulmatch module is absent; its ApiErrors (400 self, 404 unknown/blocked) propagate. */
  compare(viewerId: number, otherId: number): Promise<SoulmatchResult | null>;
}

export function createKnowledge(ctx: Ctx): Knowledge {
  const svc = () => ctx.services as unknown as { astro?: AstroLike; matrix?: MatrixLike; soulmatch?: SoulmatchLike };
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
      const astro = svc().astro;
      return astro?.chartFor ? ((await astro.chartFor(userId)) ?? null) : null;
    },
    async transitsFor(date) {
      const astro = svc().astro;
      return astro?.transitsFor ? soft(() => astro.transitsFor(date)) : null;
    },
    async lifePathFor(userId) {
      const matrix = svc().matrix;
      return matrix?.lifePathFor ? soft(async () => (await matrix.lifePathFor(userId)) ?? null) : null;
    },
    async compare(viewerId, otherId) {
      const sm = svc().soulmatch;
      return sm?.compare ? sm.compare(viewerId, otherId) : null;
    },
  };
}
