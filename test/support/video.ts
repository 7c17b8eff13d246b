// Real one-frame videos (see test/fixtures/media/README.md) as multipart file parts, for tests that need
// a video post made through the real upload path rather than a row or a fake ftyp header.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FilePart } from './multipart.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'media');

export const VIDEOS = {
  mp4: { file: 'one-frame.mp4', contentType: 'video/mp4' },
  webm: { file: 'one-frame.webm', contentType: 'video/webm' },
} as const;

/** The fixture's bytes. */
export const videoBytes = (kind: keyof typeof VIDEOS) => fs.readFileSync(path.join(DIR, VIDEOS[kind].file));

/** A multipart part holding the real fixture video of that kind. */
export const videoFile = (kind: keyof typeof VIDEOS = 'mp4'): FilePart => ({ filename: VIDEOS[kind].file, contentType: VIDEOS[kind].contentType, data: videoBytes(kind) });
