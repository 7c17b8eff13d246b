// Pixel size read from an image's header bytes (PNG, GIF, JPEG, WebP, HEIC); null when the header
// does not parse. An upload is accepted as an image only when this succeeds (magic bytes alone are
// not enough), which also keeps W-Media/W-Post width and height filled in.
export interface Size {
  width: number;
  height: number;
}

/** Largest side we accept: beyond this a header is forged or a decompression bomb. */
export const MAX_SIDE = 100_000;

const valid = (s: Size | null): Size | null =>
  s && Number.isInteger(s.width) && Number.isInteger(s.height) && s.width > 0 && s.height > 0 && s.width <= MAX_SIDE && s.height <= MAX_SIDE ? s : null;

export function imageSize(b: Buffer, mime: string): Size | null {
  try {
    switch (mime) {
      case 'image/png':
        return valid(pngSize(b));
      case 'image/gif':
        return valid(b.length >= 13 ? { width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : null);
      case 'image/jpeg':
        return valid(jpegSize(b));
      case 'image/webp':
        return valid(webpSize(b));
      case 'image/heic':
        return valid(heicSize(b));
      default:
        return null;
    }
  } catch {
    return null;
  }
}

function pngSize(b: Buffer): Size | null {
  // Signature, then the IHDR chunk (length 13) must come first.
  if (b.length < 33 || b.readUInt32BE(8) !== 13 || b.toString('ascii', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function jpegSize(b: Buffer): Size | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    // Standalone markers (RSTn, TEM) carry no length.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / scan data before any frame header
    const len = b.readUInt16BE(i + 2);
    if (len < 2) return null;
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

function webpSize(b: Buffer): Size | null {
  const chunk = b.toString('ascii', 12, 16);
  if (chunk === 'VP8 ' && b.length >= 30) {
    // Key frame start code 9d 01 2a precedes the size.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L' && b.length >= 25) {
    if (b[20] !== 0x2f) return null; // VP8L signature byte
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && b.length >= 30) return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  return null;
}

/** HEIF: the `ispe` (image spatial extent) property inside `meta` → `iprp` → `ipco`. */
function heicSize(b: Buffer): Size | null {
  const at = b.indexOf('ispe', 0, 'ascii');
  if (at < 4 || at + 16 > b.length) return null;
  const size = b.readUInt32BE(at - 4);
  if (size < 20) return null;
  return { width: b.readUInt32BE(at + 8), height: b.readUInt32BE(at + 12) };
}
