// Content-type detection from the bytes themselves; a file's name or declared type is never trusted.
// An image is accepted only when its header decodes far enough to give its pixel size.
import { imageSize } from './dimensions.js';

export type Sniffed = { mime: string; kind: 'image' | 'video'; ext: string; width: number | null; height: number | null };

const startsWith = (b: Buffer, sig: number[], offset = 0) => sig.every((v, i) => b[offset + i] === v);

type Magic = Omit<Sniffed, 'width' | 'height'>;

function magic(b: Buffer): Magic | null {
  if (b.length < 12) return null;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { mime: 'image/jpeg', kind: 'image', ext: 'jpg' };
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { mime: 'image/png', kind: 'image', ext: 'png' };
  if (b.toString('ascii', 0, 6) === 'GIF87a' || b.toString('ascii', 0, 6) === 'GIF89a') return { mime: 'image/gif', kind: 'image', ext: 'gif' };
  if (b.toString('ascii', 0, 4) === 'RIFF' && b.toString('ascii', 8, 12) === 'WEBP') return { mime: 'image/webp', kind: 'image', ext: 'webp' };
  if (b.toString('ascii', 4, 8) === 'ftyp') {
    const brand = b.toString('ascii', 8, 12);
    if (['heic', 'heix', 'mif1', 'msf1', 'heim', 'heis'].includes(brand)) return { mime: 'image/heic', kind: 'image', ext: 'heic' };
    if (brand.startsWith('qt')) return { mime: 'video/quicktime', kind: 'video', ext: 'mov' };
    return { mime: 'video/mp4', kind: 'video', ext: 'mp4' };
  }
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return { mime: 'video/webm', kind: 'video', ext: 'webm' };
  return null;
}

/**
 * The media type of a file from its first bytes (`head`: at least the first few hundred KiB).
 * Images whose header does not decode to a size are refused (null), whatever their magic bytes.
 */
export function sniffMedia(head: Buffer): Sniffed | null {
  const m = magic(head);
  if (!m) return null;
  if (m.kind === 'video') return { ...m, width: null, height: null };
  const size = imageSize(head, m.mime);
  return size ? { ...m, ...size } : null;
}
