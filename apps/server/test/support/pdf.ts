import { inflateSync } from 'node:zlib';

/** Every text string shown on the page(s) of an uncompressed (or Flate) PDF, in drawing order. */
export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const streams: string[] = [];
  const re = /<<([^]*?)>>\s*stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    const body = pdf.subarray(start, end);
    streams.push(m[1]!.includes('/FlateDecode') ? inflateSync(body).toString('latin1') : body.toString('latin1'));
  }
  const out: string[] = [];
  for (const s of streams) {
    for (const tj of s.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const pieces = [...tj[1]!.matchAll(/<([0-9a-fA-F]*)>|\(((?:\\.|[^\\)])*)\)/g)].map((p) =>
        p[1] !== undefined ? Buffer.from(p[1], 'hex').toString('latin1') : p[2]!.replace(/\\(.)/g, '$1'),
      );
      out.push(pieces.join(''));
    }
  }
  return out.join('\n');
}
