/**
 * The content type of a file, judged from its bytes (never from its name or the declared header).
 * Only the kinds a work order or a proof of completion needs are accepted; anything else is null.
 */
export type SniffedType = 'application/pdf' | 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif' | 'application/zip' | 'text/plain';

const starts = (bytes: Buffer, magic: number[], offset = 0): boolean =>
  bytes.length >= offset + magic.length && magic.every((b, i) => bytes[offset + i] === b);

function isUtf8Text(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  // Control characters other than tab, LF, CR, FF mark a binary file.
  for (const b of bytes) if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) return false;
  return true;
}

export function sniffContentType(bytes: Buffer): SniffedType | null {
  if (starts(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'; // %PDF-
  if (starts(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts(bytes, [0x52, 0x49, 0x46, 0x46]) && starts(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (starts(bytes, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (starts(bytes, [0x50, 0x4b, 0x03, 0x04]) || starts(bytes, [0x50, 0x4b, 0x05, 0x06])) return 'application/zip'; // also .docx/.xlsx
  if (isUtf8Text(bytes)) return 'text/plain';
  return null;
}

/** Declared types that a sniffed type may stand for (e.g. a .docx is a zip, a .csv is text). */
const FAMILY: Record<SniffedType, readonly string[]> = {
  'application/pdf': ['application/pdf'],
  'image/png': ['image/png'],
  'image/jpeg': ['image/jpeg', 'image/jpg'],
  'image/webp': ['image/webp'],
  'image/gif': ['image/gif'],
  'application/zip': [
    'application/zip',
    'application/x-zip-compressed',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ],
  'text/plain': ['text/plain', 'text/csv', 'application/json', 'application/xml', 'text/xml', 'application/x-yaml', 'text/yaml'],
};

/** The declared type without parameters, lower case (`Text/CSV; charset=utf-8` → `text/csv`). */
export function bareType(declared: string | undefined): string {
  return (declared ?? '').split(';')[0]!.trim().toLowerCase();
}

/** True when the bytes are of an accepted kind and the declared type is one that kind may carry. */
export function declaredMatches(declared: string, sniffed: SniffedType): boolean {
  return FAMILY[sniffed].includes(bareType(declared));
}

export const IMAGE_TYPES: readonly SniffedType[] = ['image/png', 'image/jpeg', 'image/webp'];
