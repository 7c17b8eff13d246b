import type { Module } from '../../context.js';
import { createFlagsService } from './service.js';

export const flagsModule: Module = { name: 'flags', service: createFlagsService };
