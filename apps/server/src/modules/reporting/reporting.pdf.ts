import PDFDocument from 'pdfkit';
import type { StatusReport } from '@yardmaster/contracts';

/** "2026-03-29 01:30:00 GMT" in the given IANA zone. */
export function formatInZone(isoTime: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(isoTime));
  const p = (type: string): string => parts.find((x) => x.type === type)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
}

/** 1 h 05 min 30 s */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const out = [
    d ? `${d} d` : '',
    d || h ? `${h} h` : '',
    d || h || m ? `${String(m).padStart(d || h ? 2 : 1, '0')} min` : '',
    `${String(s).padStart(d || h || m ? 2 : 1, '0')} s`,
  ];
  return sign + out.filter(Boolean).join(' ');
}

/** Proof of completion as printed: signer, notes, the signature and photo images (PNG or JPEG bytes). */
export type PdfProof = { signerName: string | null; notes: string | null; signature: Buffer | null; photos: Buffer[] };

export type PdfContext = { tenantName: string; timeZone: string; generatedAt: Date; proof?: PdfProof | null };

const MARGIN = 48;
const INK = '#1a1a1a';
const MUTED = '#666666';
const RULE = '#c8c8c8';
const SHADE = '#f2f2f2';

/**
 * A one-page A4 status report with the standard PDF fonts (Helvetica), uncompressed so the text is
 * greppable and the tests can read it back. Long free text is clipped with an ellipsis to keep one
 * page; the JSON download always has everything.
 */
export function renderReportPdf(report: StatusReport, ctx: PdfContext): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: 16 },
    compress: false,
    info: {
      Title: `Status report ${report.number}`,
      Author: ctx.tenantName,
      Subject: `Work order ${report.workOrder.number}`,
      Producer: 'Yardmaster',
      Creator: 'Yardmaster',
      CreationDate: ctx.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;
  const left = MARGIN;
  const bottomLimit = doc.page.height - MARGIN - 40;
  const at = (t: string | null): string => (t ? formatInZone(t, ctx.timeZone) : '—');

  // Header band
  doc
    .font('Helvetica-Bold')
    .fontSize(18)
    .fillColor(INK)
    .text(ctx.tenantName, left, MARGIN, { width: width * 0.62, height: 24, ellipsis: true, lineBreak: false });
  doc
    .font('Helvetica')
    .fontSize(10)
    .fillColor(MUTED)
    .text('Dispatch status report', left, MARGIN + 24);
  doc
    .font('Helvetica-Bold')
    .fontSize(14)
    .fillColor(INK)
    .text(report.number, left + width * 0.62, MARGIN, { width: width * 0.38, align: 'right' });
  const statusLabel = report.finalStatus === 'completed' ? 'COMPLETED' : 'RECALLED';
  doc
    .font('Helvetica-Bold')
    .fontSize(10)
    .fillColor(report.finalStatus === 'completed' ? '#1b6e20' : '#b3261e')
    .text(statusLabel, left + width * 0.62, MARGIN + 20, { width: width * 0.38, align: 'right' });
  let y = MARGIN + 44;
  doc
    .moveTo(left, y)
    .lineTo(left + width, y)
    .lineWidth(1)
    .strokeColor(INK)
    .stroke();
  y += 10;

  // Facts: two columns of label / value
  const facts: Array<[string, string]> = [
    ['Work order', `${report.workOrder.number}${report.workOrder.description ? ` — ${report.workOrder.description}` : ''}`],
    ['Site', `${report.site.name}${report.site.address ? `, ${report.site.address}` : ''}`],
    ['Equipment', `${report.equipment.assetTag} — ${report.equipment.name} (${report.equipment.typeCode}, ${report.equipment.typeName})`],
    ['Driver', report.driver.name],
    [
      'Dispatcher',
      report.dispatcher.kind === 'system' ? 'system (automatic dispatch)' : `${report.dispatcher.name} (${report.dispatcher.subject})`,
    ],
    ['Priority', report.priority],
    ['Dispatch', report.dispatchId],
  ];
  const labelW = 78;
  for (const [label, value] of facts) {
    doc.font('Helvetica-Bold').fontSize(9).fillColor(MUTED).text(label, left, y, { width: labelW });
    doc
      .font('Helvetica')
      .fontSize(9)
      .fillColor(INK)
      .text(value, left + labelW, y, { width: width - labelW, height: 24, ellipsis: true });
    y = Math.max(doc.y, y + 12) + 2;
  }
  y += 6;

  // Timeline table
  const section = (title: string): void => {
    doc.font('Helvetica-Bold').fontSize(11).fillColor(INK).text(title, left, y);
    y = doc.y + 3;
  };
  section(`Timeline (${ctx.timeZone})`);
  const t = report.timestamps;
  const rows: Array<[string, string | null]> = [
    ['Requested start', t.requestedAt],
    ['Created', t.createdAt],
    ['Queued', t.queuedAt],
    ['Dispatched', t.dispatchedAt],
    ['En route', t.enRouteAt],
    ['On site', t.onSiteAt],
    ['Returning', t.returningAt],
    [report.finalStatus === 'completed' ? 'Completed' : 'Recalled', t.completedAt ?? t.recalledAt],
  ];
  const cols = [left, left + 130, left + 330];
  const rowH = 15;
  doc.rect(left, y, width, rowH).fill(SHADE);
  doc.font('Helvetica-Bold').fontSize(9).fillColor(INK);
  doc.text('Event', cols[0]! + 4, y + 4);
  doc.text('Time', cols[1]! + 4, y + 4);
  doc.text('Since previous event', cols[2]! + 4, y + 4);
  y += rowH;
  let previous: string | null = null;
  for (const [label, time] of rows) {
    doc
      .font('Helvetica')
      .fontSize(9)
      .fillColor(time ? INK : MUTED);
    doc.text(label, cols[0]! + 4, y + 4);
    doc.text(at(time), cols[1]! + 4, y + 4);
    const since = time && previous ? Math.round((Date.parse(time) - Date.parse(previous)) / 1000) : null;
    doc.text(time && previous ? formatDuration(since) : '', cols[2]! + 4, y + 4);
    if (time) previous = time;
    y += rowH;
    doc
      .moveTo(left, y)
      .lineTo(left + width, y)
      .lineWidth(0.5)
      .strokeColor(RULE)
      .stroke();
  }
  y += 10;

  // Durations
  section('Durations');
  const d = report.durations;
  const durations: Array<[string, number | null]> = [
    ['Total (created to finish)', d.total],
    ['Waiting in queue', d.queueWait],
    ['Dispatched to on site', d.toSite],
    ['On site', d.onSite],
    ['Returning', d.returning],
    ['Equipment and driver busy', d.busy],
  ];
  const half = width / 2;
  durations.forEach(([label, value], i) => {
    const x = left + (i % 2) * half;
    const rowY = y + Math.floor(i / 2) * 14;
    doc.font('Helvetica').fontSize(9).fillColor(MUTED).text(label, x, rowY, { width: 140 });
    doc
      .font('Helvetica-Bold')
      .fontSize(9)
      .fillColor(INK)
      .text(formatDuration(value), x + 140, rowY, { width: half - 150 });
  });
  y += Math.ceil(durations.length / 2) * 14 + 10;

  // Notes and recall reason
  const block = (title: string, text: string | null, maxHeight: number): void => {
    if (!text) return;
    section(title);
    doc.font('Helvetica').fontSize(9).fillColor(INK).text(text, left, y, { width, height: maxHeight, ellipsis: true });
    y = doc.y + 8;
  };
  if (report.recallReason) block('Recall reason', report.recallReason, 48);
  block('Notes', report.notes, 72);

  // Proof of completion: photo thumbnails, the customer's signature and the signer's name
  if (ctx.proof) {
    const proof = ctx.proof;
    const thumbH = 72;
    const needed = 20 + (proof.photos.length ? thumbH + 8 : 0) + (proof.signature ? 70 : 0) + (proof.notes ? 30 : 0);
    if (y + needed > bottomLimit) {
      doc.addPage();
      y = MARGIN;
    }
    section('Proof of completion');
    if (proof.photos.length > 0) {
      const thumbW = (width - 4 * 8) / 5;
      proof.photos.slice(0, 5).forEach((photo, i) => {
        const x = left + i * (thumbW + 8);
        try {
          doc.image(photo, x, y, { fit: [thumbW, thumbH], align: 'center', valign: 'center' });
        } catch {
          doc
            .font('Helvetica-Oblique')
            .fontSize(8)
            .fillColor(MUTED)
            .text('photo not printable', x, y + thumbH / 2, { width: thumbW, align: 'center' });
        }
        doc.rect(x, y, thumbW, thumbH).lineWidth(0.5).strokeColor(RULE).stroke();
      });
      y += thumbH + 8;
    }
    if (proof.signature) {
      try {
        doc.image(proof.signature, left, y, { fit: [200, 56] });
      } catch {
        doc
          .font('Helvetica-Oblique')
          .fontSize(8)
          .fillColor(MUTED)
          .text('signature not printable', left, y + 20);
      }
      doc
        .moveTo(left, y + 58)
        .lineTo(left + 200, y + 58)
        .lineWidth(0.5)
        .strokeColor(INK)
        .stroke();
      doc
        .font('Helvetica')
        .fontSize(9)
        .fillColor(INK)
        .text(`Signed by ${proof.signerName ?? '—'}`, left + 212, y + 46, { width: width - 212 });
      y += 68;
    }
    if (proof.notes) {
      doc
        .font('Helvetica')
        .fontSize(9)
        .fillColor(INK)
        .text(`Driver's notes: ${proof.notes}`, left, y, { width, height: 36, ellipsis: true });
      y = doc.y + 8;
    }
  }

  // Corrections (appended notes; the report above never changes)
  if (report.corrections.length > 0) {
    section('Corrections');
    let shown = 0;
    for (const c of report.corrections) {
      if (y > bottomLimit - 36) break;
      doc
        .font('Helvetica-Bold')
        .fontSize(8)
        .fillColor(MUTED)
        .text(`${at(c.createdAt)} — ${c.author.name}`, left, y, { width });
      y = doc.y + 1;
      doc
        .font('Helvetica')
        .fontSize(9)
        .fillColor(INK)
        .text(c.body, left, y, { width, height: Math.min(48, Math.max(12, bottomLimit - y)), ellipsis: true });
      y = doc.y + 5;
      shown++;
    }
    if (shown < report.corrections.length) {
      doc
        .font('Helvetica-Oblique')
        .fontSize(8)
        .fillColor(MUTED)
        .text(`… and ${report.corrections.length - shown} more correction(s) — see the JSON download.`, left, y, { width });
    }
  }

  // Footer
  const footY = doc.page.height - MARGIN - 22;
  doc
    .moveTo(left, footY)
    .lineTo(left + width, footY)
    .lineWidth(0.5)
    .strokeColor(RULE)
    .stroke();
  doc.font('Helvetica').fontSize(7.5).fillColor(MUTED);
  doc.text(
    `Generated ${formatInZone(ctx.generatedAt.toISOString(), ctx.timeZone)} by Yardmaster · report recorded ${at(report.generatedAt)}`,
    left,
    footY + 5,
    {
      width,
      lineBreak: false,
    },
  );
  doc.text(`Content SHA-256 ${report.contentHash}`, left, footY + 14, { width, lineBreak: false });
  doc.end();
  return done;
}
