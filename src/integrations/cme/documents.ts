import { createHash } from 'node:crypto';
import type { CmeDocument, CmeEvaluationDraft } from './contract.js';

/**
 * The documents the CME sandbox serves: the evaluation list as a one-page PDF, a binary body
 * whose bytes must survive storage unchanged, and the inspection result as JSON.
 */

export function renderEvaluationDocument(evaluationId: number, draft: CmeEvaluationDraft): CmeDocument {
  const seed = createHash('sha256').update(draft.vin).digest();
  const lines = [
    `CME evaluation list ${evaluationId}`,
    `Application: ${draft.applicationId}`,
    `VIN: ${draft.vin}`,
    `Car: ${[draft.mark, draft.model, draft.year].filter((part) => part !== undefined).join(' ') || 'not stated'}`,
    `Inspection time: ${draft.inspectTime}`,
    `Estimated price: ${(500_000 + seed[0]! * 10_000).toLocaleString('en-US')} RUB`,
  ];
  return { body: renderPdf(lines), contentType: 'application/pdf' };
}

export function renderInspectionDocument(evaluationId: number, draft: CmeEvaluationDraft, inspectedAt: Date): CmeDocument {
  const seed = createHash('sha256').update(`inspection:${draft.vin}`).digest();
  const checklist = ['body', 'paint', 'engine', 'transmission', 'suspension', 'interior', 'electrics'].map((item, index) => ({
    item,
    state: seed[index]! % 5 === 0 ? 'NEEDS_REPAIR' : 'OK',
  }));
  const result = {
    evaluationId,
    applicationId: draft.applicationId,
    vin: draft.vin,
    inspectedAt: inspectedAt.toISOString(),
    place: draft.inspectPlace,
    checklist,
  };
  return { body: new TextEncoder().encode(JSON.stringify(result, null, 2)), contentType: 'application/json' };
}

/** Render a valid single-page PDF 1.4 with one line of Helvetica text per entry; text outside ASCII becomes `?`. */
function renderPdf(lines: string[]): Uint8Array {
  const escape = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, (character) => `\\${character}`);
  const content = ['BT', '/F1 12 Tf', '14 TL', '56 780 Td', ...lines.map((line) => `(${escape(line)}) '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];

  // The second line contains bytes above 127, as PDF writers add to mark the file as binary.
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefOffset = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(pdf, 'latin1'));
}
