import { PDFParse } from 'pdf-parse';
import { testService } from '../support/env';

/** Text of every page, parsed back from the PDF by a PDF library (pdf.js underneath). */
export async function pdfText(buf: Buffer): Promise<{ text: string; pages: string[]; total: number }> {
  const p = new PDFParse({ data: new Uint8Array(buf) });
  try {
    const r = await p.getText();
    return { text: r.text, pages: r.pages.map((x) => x.text), total: r.total };
  } finally {
    await p.destroy();
  }
}

/** GET a binary answer over HTTP, as a browser would. */
export async function getBytes(path: string, token?: string) {
  const res = await fetch(`${testService().url}/api/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, buf, headers: res.headers, text: buf.toString('utf8') };
}

export const isPdf = (buf: Buffer) => buf.subarray(0, 5).toString('latin1') === '%PDF-' && buf.subarray(-7).toString('latin1').includes('%%EOF');
/** pdf.js puts spaces between separately drawn runs; compare without white space. */
export const squash = (s: string) => s.replace(/\s+/g, '');
