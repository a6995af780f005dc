// The report layout kit on pdfkit: A4 pages with the foundation's header and the "第 n 页 / 共 N 页" footer,
// CJK text through a font chain (fonts.ts), tables that page, key-value blocks and vector bar charts.
//
// Determinism: the same data, parameters and audit head give byte-identical output. pdfkit's only varying
// inputs are the info dictionary's dates (the document /ID is an MD5 of the info dictionary, not random):
// CreationDate and ModDate are set to the time of the audit-log row the report is made at, and the text
// never depends on the wall clock (the generation time shown is passed in by the publisher).
//
// Page numbers: small reports buffer their pages (pdfkit bufferPages) and write every footer at the end.
// A large streaming report cannot buffer; its caller passes `totalPages`, computed beforehand by running the
// same layout in `measure` mode (no drawing; rows have a fixed height, so only their count matters), and the
// footer is then written as each page opens and the page leaves memory when the next one starts.
import crypto from 'node:crypto';
import PDFDocument from 'pdfkit';
import { fontChain, MISSING_GLYPH, type FontFace } from './fonts';

export const FOUNDATION_ZH = '北京市温暖基金会';
export const FOUNDATION_EN = 'Beijing Warmth Foundation';

export const PAGE = { width: 595.28, height: 841.89 };
export const MARGIN_X = 42;
export const CONTENT_WIDTH = PAGE.width - 2 * MARGIN_X;
/** The footer starts at this rule; the body ends a little above it. */
const FOOTER_RULE = PAGE.height - 50;
const BODY_BOTTOM = FOOTER_RULE - 6;

const GRAY = '#555555';
const LIGHT = '#e8ecf1';
const RULE = '#9aa5b1';

/** The audit-log row a report is made at (the last row that is not a report.published row). */
export interface ReportHead {
  seq: number;
  hash: string;
  /** ISO-8601 UTC time of that row; a chain with no rows yet uses 2000-01-01T00:00:00.000Z. */
  time: string;
  /** The signed checkpoint of this head (GET /public/log/checkpoint, docs/audit-chain.md): printed under the hash. */
  checkpoint?: { signature: string; keyId: string };
}

export interface ReportMeta {
  kind: string;
  titleZh: string;
  titleEn: string;
  /** e.g. "2026-01-01 至 2026-12-31" */
  period: string;
  /** e.g. "全部基金 All funds" */
  scope: string;
  /** When the report was first generated at this head (shown in Asia/Shanghai time). */
  generatedAt: Date;
  head: ReportHead;
}

/** Where the bytes go. write() returning false means "wait for drain()" (an HTTP response under back-pressure). */
export interface ReportSink {
  write(chunk: Buffer): boolean | void;
  drain?(): Promise<void>;
}

export interface ReportResult {
  sha256: string;
  bytes: number;
  pages: number;
  /** Characters no embedded font could draw (replaced by 〓). */
  missingGlyphs: string[];
}

export type Align = 'left' | 'right' | 'center';
export interface TextOptions {
  size?: number;
  bold?: boolean;
  color?: string;
  align?: Align;
  /** Box width for alignment and truncation (with …) of a single line. */
  width?: number;
}

const SHANGHAI_TIME = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
/** The footer's verification note (Chinese, then English). */
export const verifyLines = (seq: number) => [
  `核验：在公开页面 /verify 粘贴本文件的 SHA-256 或选择本文件。本报告编制于审计链第 ${seq} 行，其 SHA-256 记在随后追加的 report.published 审计行。`,
  `Verify: at the public page /verify, paste this file's SHA-256 or choose this file. Made at audit-log row ${seq}; its SHA-256 is recorded in the report.published row appended after it.`,
];

/** 2026-11-25 18:03:04 in Asia/Shanghai. */
export const shanghaiTime = (d: Date) => SHANGHAI_TIME.format(d);

/** 1234567.5 → "1,234,567.50" (amounts come in as decimal strings; never through a float). */
export function formatAmount(v: string): string {
  const neg = v.startsWith('-');
  const [int, frac = ''] = (neg ? v.slice(1) : v).split('.');
  return `${neg ? '-' : ''}${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${(frac + '00').slice(0, 2)}`;
}

interface Run {
  face: FontFace;
  text: string;
}

/**
 * Test-only trace of what the kit draws (test/reports/pages.test.ts): every text with its box and the box it
 * had to fit (a table cell, the header's half, the content width), and every total row of a table.
 */
export type TraceEvent =
  | { type: 'text'; page: number; str: string; drawn: string; x: number; y: number; size: number; width: number; box?: { x: number; width: number }; cut: boolean }
  /** `alone`: the total row opens a page although the table has data rows (all on earlier pages). */
  | { type: 'total-row'; page: number; alone: boolean };

export interface WriterOptions {
  /** Streaming mode: the exact page count, known beforehand (see the top of this file). */
  totalPages?: number;
  /** Lay out without drawing or producing bytes, to count pages. */
  measure?: boolean;
}

export class ReportWriter {
  /** Test-only: receives every drawing event of every writer while set (see TraceEvent). */
  static trace: ((e: TraceEvent) => void) | undefined;
  readonly doc: PDFKit.PDFDocument | undefined;
  readonly measure: boolean;
  y = 0;
  page = 0;
  /** Where the body starts: below the header, whose height depends on how many lines the period and scope take. */
  readonly bodyTop: number;
  private readonly chain = fontChain();
  private readonly faceOf = new Map<string, number>();
  private readonly missing = new Set<string>();
  private readonly advance = new Map<string, Map<string, number>>();
  /** Advance per point of size of each character (regular, bold), through the font chain. */
  private readonly charAdvance = [new Map<string, number>(), new Map<string, number>()];
  private readonly strAdvance = [new Map<string, number>(), new Map<string, number>()];
  private readonly pdfFonts = new Map<string, PdfkitEmbeddedFont>();
  private readonly regularGlyphs = new Map<string, GlyphInfo>();
  private readonly boldGlyphs = new Map<string, GlyphInfo>();
  private readonly hash = crypto.createHash('sha256');
  private bytes = 0;
  private needDrain = false;
  private sink: ReportSink | undefined;
  private ended: Promise<void> | undefined;

  constructor(readonly meta: ReportMeta, readonly opts: WriterOptions = {}) {
    this.measure = !!opts.measure;
    this.bodyTop = this.headerLayout().bodyTop;
    this.y = this.bodyTop;
    if (this.measure) return;
    const at = new Date(meta.head.time);
    this.doc = new PDFDocument({
      size: 'A4',
      margin: 0,
      autoFirstPage: false,
      bufferPages: opts.totalPages === undefined,
      // pdfkit caches the glyph layout of every distinct word for the document's life: with 100k case numbers
      // and amounts that is hundreds of MB, so a streaming report turns it off.
      fontLayoutCache: opts.totalPages === undefined,
      compress: true,
      lang: 'zh-CN',
      displayTitle: true,
      info: {
        Title: `${meta.titleZh} ${meta.titleEn}`,
        Author: `${FOUNDATION_ZH} ${FOUNDATION_EN}`,
        Subject: `${meta.period} · ${meta.scope} · audit head ${meta.head.seq} ${meta.head.hash}`,
        Keywords: `warmth-ledger ${meta.kind}`,
        Creator: 'warmth-ledger',
        Producer: 'warmth-ledger (PDFKit)',
        CreationDate: at,
        ModDate: at,
      },
    });
    for (const face of new Set([...this.chain.regular, ...this.chain.bold])) {
      this.doc.registerFont(face.name, face.data);
      this.doc.font(face.name);
      const f = (this.doc as unknown as { _font: PdfkitEmbeddedFont })._font;
      useCmapLayout(f);
      this.pdfFonts.set(face.name, f);
    }
    this.doc.on('data', (chunk: Buffer) => {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      if (this.sink?.write(chunk) === false) this.needDrain = true;
    });
    this.ended = new Promise((resolve, reject) => {
      this.doc!.on('end', resolve);
      this.doc!.on('error', reject);
    });
  }

  /** Sends the bytes to a sink from now on (call before the first page). */
  pipeTo(sink: ReportSink) {
    this.sink = sink;
    return this;
  }

  /** Waits for the sink when it asked for back-pressure; call between batches of rows. */
  async flush() {
    if (this.needDrain && this.sink?.drain) {
      this.needDrain = false;
      await this.sink.drain();
    }
    // Let pdfkit's readable stream hand over what it pushed, so finished pages leave memory.
    await new Promise((r) => setImmediate(r));
  }

  // ---------------------------------------------------------------- text

  private runs(str: string, bold: boolean): Run[] {
    const faces = bold ? this.chain.bold : this.chain.regular;
    const runs: Run[] = [];
    for (const ch of str) {
      const key = bold ? `b${ch}` : ch;
      let i = this.faceOf.get(key);
      if (i === undefined) {
        const cp = ch.codePointAt(0)!;
        i = ch === '\n' || ch === '\t' ? 0 : faces.findIndex((f) => f.font.hasGlyphForCodePoint(cp));
        this.faceOf.set(key, i);
      }
      let text = ch;
      if (i < 0) {
        this.missing.add(ch);
        text = MISSING_GLYPH;
        i = 0;
      }
      const face = faces[i]!;
      const last = runs[runs.length - 1];
      if (last && last.face === face) last.text += text;
      else runs.push({ face, text });
    }
    return runs;
  }

  /** Width from per-character advances (cached): no kerning, which CJK text and digits do not use anyway. */
  private runWidth(run: Run, size: number) {
    let units = 0;
    let adv = this.advance.get(run.face.name);
    if (!adv) this.advance.set(run.face.name, (adv = new Map()));
    for (const ch of run.text) {
      let a = adv.get(ch);
      if (a === undefined) {
        a = run.face.font.layout(ch).advanceWidth / run.face.font.unitsPerEm;
        adv.set(ch, a);
      }
      units += a;
    }
    return units * size;
  }

  /** Width of one character per point of size, cached (the first font of the chain that has it, or 〓). */
  private charWidth(ch: string, bold: boolean) {
    const cache = this.charAdvance[bold ? 1 : 0]!;
    let a = cache.get(ch);
    if (a === undefined) {
      a = 0;
      for (const r of this.runs(ch, bold)) a += this.runWidth(r, 1);
      cache.set(ch, a);
    }
    return a;
  }

  widthOf(str: string, size = 9, bold = false) {
    // Table cells repeat (districts, reasons, dates, funds): their widths are kept, a bounded number of them.
    const cache = this.strAdvance[bold ? 1 : 0]!;
    let w = cache.get(str);
    if (w === undefined) {
      w = 0;
      for (const ch of str) w += this.charWidth(ch, bold);
      if (cache.size >= 20_000) cache.clear();
      cache.set(str, w);
    }
    return w * size;
  }

  /** One line of text at (x, y); y is the top of the line. Never wraps and never adds a page. */
  text(str: string, x: number, y: number, o: TextOptions = {}) {
    if (this.measure || !str) return;
    this.textLine([{ str, x, y, ...o }]);
  }

  /**
   * Several single-line texts in one PDF text object (a table row): the content-stream operators are written
   * here directly, with pdfkit's embedded fonts doing the glyph encoding, subsetting and ToUnicode map. Going
   * through doc.text() per cell costs a save/transform/restore and its option handling each time, which on a
   * 100k-row report was most of the remaining time.
   */
  textLine(items: (TextOptions & { str: string; x: number; y: number })[]) {
    if (this.measure) return;
    const doc = this.doc!;
    const page = (doc as unknown as { page: { fonts: Record<string, unknown>; height: number } }).page;
    const ops: string[] = [`q 1 0 0 -1 0 ${num(page.height)} cm BT`];
    let color = '';
    for (const it of items) {
      if (!it.str) continue;
      const size = it.size ?? 9;
      const bold = !!it.bold;
      let glyphs = this.glyphsOf(it.str, bold);
      let width = glyphs.reduce((w, g) => w + g.adv, 0) * size;
      let drawn = it.str;
      // Last resort only: every block wraps its text to its box (wrap()), so nothing should arrive here too wide.
      if (it.width !== undefined && width > it.width + 0.01) {
        const chars = [...it.str];
        while (chars.length && width > it.width) {
          chars.pop();
          drawn = `${chars.join('')}…`;
          glyphs = this.glyphsOf(drawn, bold);
          width = glyphs.reduce((w, g) => w + g.adv, 0) * size;
        }
      }
      const c = rgb(it.color ?? '#000000');
      if (c !== color) {
        ops.push(`${c} rg`);
        color = c;
      }
      let cx = it.align === 'right' && it.width !== undefined ? it.x + it.width - width : it.align === 'center' && it.width !== undefined ? it.x + (it.width - width) / 2 : it.x;
      ReportWriter.trace?.({
        type: 'text', page: this.page, str: it.str, drawn, x: cx, y: it.y, size, width,
        box: it.width === undefined ? undefined : { x: it.x, width: it.width }, cut: drawn !== it.str,
      });
      let i = 0;
      while (i < glyphs.length) {
        const f = glyphs[i]!.font;
        let hex = '';
        let adv = 0;
        for (; i < glyphs.length && glyphs[i]!.font === f; i++) {
          hex += glyphs[i]!.hex;
          adv += glyphs[i]!.adv;
        }
        if (page.fonts[f.id] == null) page.fonts[f.id] = f.ref();
        ops.push(`/${f.id} ${num(size)} Tf 1 0 0 1 ${num(cx)} ${num(page.height - it.y - (f.ascender / 1000) * size)} Tm <${hex}> Tj`);
        cx += adv * size;
      }
    }
    ops.push('ET Q');
    doc.addContent(ops.join('\n'));
  }

  /**
   * Each character's glyph in the first font of the chain that has it: the subset glyph id pdfkit will embed
   * (hex), and its advance per point of font size. What pdfkit's encode() records for the subset, the widths
   * and the ToUnicode map is recorded here the same way, once per character and document.
   */
  private glyphsOf(str: string, bold: boolean): GlyphInfo[] {
    const cache = bold ? this.boldGlyphs : this.regularGlyphs;
    const out: GlyphInfo[] = [];
    for (const ch of str) {
      let g = cache.get(ch);
      if (!g) {
        const faces = bold ? this.chain.bold : this.chain.regular;
        const cp = ch.codePointAt(0)!;
        let face = faces.find((fc) => fc.font.hasGlyphForCodePoint(cp));
        let use = ch;
        if (!face) {
          this.missing.add(ch);
          face = faces[0]!;
          use = MISSING_GLYPH;
        }
        const f = this.pdfFonts.get(face.name)!;
        const glyph = f.font.glyphForCodePoint(use.codePointAt(0)!);
        const gid = f.subset.includeGlyph(glyph.id);
        if (f.widths[gid] == null) f.widths[gid] = glyph.advanceWidth * f.scale;
        if (f.unicode[gid] == null) f.unicode[gid] = glyph.codePoints;
        g = { font: f, hex: `0000${gid.toString(16)}`.slice(-4), adv: glyph.advanceWidth / face.font.unitsPerEm };
        cache.set(ch, g);
      }
      out.push(g);
    }
    return out;
  }

  /** Splits text into lines no wider than `width` (CJK breaks anywhere, other text at spaces when it can). */
  wrap(str: string, width: number, size = 9, bold = false): string[] {
    const lines: string[] = [];
    const limit = width / size + 1e-6;
    for (const para of str.split('\n')) {
      let line = '';
      let w = 0;
      for (const ch of para) {
        const cw = this.charWidth(ch, bold);
        if (line && w + cw > limit) {
          const space = line.lastIndexOf(' ');
          // A code such as WF-CY-SHOUGANG-2026 breaks after a hyphen when it has no space.
          const hyphen = Math.max(line.lastIndexOf('-'), line.lastIndexOf('/'));
          if (/[\x21-\x7e]/.test(ch) && space > 0) {
            lines.push(line.slice(0, space));
            line = line.slice(space + 1) + ch;
          } else if (/[\x21-\x7e]/.test(ch) && hyphen > 0 && hyphen < line.length - 1 && /[\x21-\x7e]/.test(line[hyphen - 1]!)) {
            lines.push(line.slice(0, hyphen + 1));
            line = line.slice(hyphen + 1) + ch;
          } else {
            lines.push(line.replace(/ +$/, ''));
            line = ch === ' ' ? '' : ch;
          }
          w = this.widthOf(line, 1, bold);
        } else {
          line += ch;
          w += cw;
        }
      }
      lines.push(line);
    }
    return lines;
  }

  /** Lines of several texts wrapped to one width, drawn one under the other from y; returns the height used. */
  lines(strs: string[], x: number, y: number, o: TextOptions & { width: number; lineHeight: number }) {
    let n = 0;
    for (const str of strs) {
      for (const line of this.wrap(str, o.width, o.size, o.bold)) this.text(line, x, y + n++ * o.lineHeight, o);
    }
    return n * o.lineHeight;
  }

  // ---------------------------------------------------------------- pages

  /** Starts a new page (header, and in streaming mode the footer). */
  newPage() {
    this.page += 1;
    this.y = this.bodyTop;
    if (this.measure) return;
    this.doc!.addPage({ size: 'A4', margin: 0 });
    this.drawHeader();
    if (this.opts.totalPages !== undefined) this.drawFooter(this.page, this.opts.totalPages);
  }

  /** Makes room for `h` points, opening a new page when the current one is full (or none is open). */
  ensure(h: number) {
    if (this.page === 0 || this.y + h > BODY_BOTTOM) this.newPage();
  }

  get remaining() {
    return this.page === 0 ? 0 : BODY_BOTTOM - this.y;
  }

  /**
   * The header's lines, measured: period and scope each wrap within their half of the page (a long period
   * takes two lines and pushes what follows down), so nothing runs into its neighbour. Same on every page.
   */
  private headerLayout() {
    const m = this.meta;
    const half = CONTENT_WIDTH / 2;
    const col = half - 10;
    const LH = 11.5;
    const period = this.wrap(`期间 Period: ${m.period}`, col, 8);
    const scope = this.wrap(`范围 Scope: ${m.scope}`, half, 8);
    const generated = this.wrap(`生成时间 Generated: ${shanghaiTime(m.generatedAt)} (Asia/Shanghai)`, col, 8);
    const head = this.wrap(`审计链头 Audit-log head: seq ${m.head.seq} · ${shanghaiTime(new Date(m.head.time))}`, half, 8);
    const infoY = 72;
    const genY = infoY + Math.max(period.length, scope.length) * LH + 1.5;
    const hashY = genY + Math.max(generated.length, head.length) * LH;
    const checkpoint = m.head.checkpoint ? this.wrap(`签名 Checkpoint Ed25519 key ${m.head.checkpoint.keyId}: ${m.head.checkpoint.signature}`, CONTENT_WIDTH, 6) : [];
    const cpY = hashY + 10;
    const rule = checkpoint.length ? cpY + checkpoint.length * 7.5 + 1.5 : hashY + 15;
    return { LH, half, col, period, scope, generated, head, infoY, genY, hashY, checkpoint, cpY, rule, bodyTop: rule + 18 };
  }

  private drawHeader() {
    const m = this.meta;
    const doc = this.doc!;
    const h = this.headerLayout();
    this.text(FOUNDATION_ZH, MARGIN_X, 26, { size: 12, bold: true });
    this.text(FOUNDATION_EN, MARGIN_X + this.widthOf(FOUNDATION_ZH, 12, true) + 8, 29, { size: 9, color: GRAY });
    const titleW = this.widthOf(m.titleZh, 15, true);
    this.text(m.titleZh, MARGIN_X, 46, { size: 15, bold: true, width: CONTENT_WIDTH });
    this.text(m.titleEn, MARGIN_X + titleW + 10, 51, { size: 10, color: GRAY, width: CONTENT_WIDTH - titleW - 10 });
    const row = (left: string[], right: string[], y: number) => {
      left.forEach((l, i) => this.text(l, MARGIN_X, y + i * h.LH, { size: 8, width: h.col }));
      right.forEach((l, i) => this.text(l, MARGIN_X + h.half, y + i * h.LH, { size: 8, width: h.half }));
    };
    row(h.period, h.scope, h.infoY);
    row(h.generated, h.head, h.genY);
    this.text(`hash ${m.head.hash}`, MARGIN_X, h.hashY, { size: 7.5, color: GRAY, width: CONTENT_WIDTH });
    h.checkpoint.forEach((l, i) => this.text(l, MARGIN_X, h.cpY + i * 7.5, { size: 6, color: GRAY, width: CONTENT_WIDTH }));
    doc.moveTo(MARGIN_X, h.rule).lineTo(PAGE.width - MARGIN_X, h.rule).lineWidth(0.8).strokeColor(RULE).stroke();
  }

  /**
   * The footer: page n of N, and how to verify this file. A file cannot print its own SHA-256, so it says
   * where to check it (the public page /verify, by pasting the hash or choosing the file) and which audit row
   * it was made at; its publication is the report.published row appended after that one.
   */
  private drawFooter(n: number, total: number) {
    const y = FOOTER_RULE;
    this.doc!.moveTo(MARGIN_X, y).lineTo(PAGE.width - MARGIN_X, y).lineWidth(0.5).strokeColor(RULE).stroke();
    this.text(`第 ${n} 页 / 共 ${total} 页  Page ${n} of ${total}`, MARGIN_X + CONTENT_WIDTH * 0.3, y + 4, { size: 8.5, width: CONTENT_WIDTH * 0.4, align: 'center' });
    this.text(`${this.meta.kind} · seq ${this.meta.head.seq}`, MARGIN_X + CONTENT_WIDTH * 0.72, y + 5.5, { size: 6.5, color: GRAY, width: CONTENT_WIDTH * 0.28, align: 'right' });
    this.lines(verifyLines(this.meta.head.seq), MARGIN_X, y + 16, { size: 6.5, color: GRAY, width: CONTENT_WIDTH, lineHeight: 8 });
  }

  // ---------------------------------------------------------------- blocks

  /** A section title: Chinese in bold, English beside it when it fits on the last line, else under it. */
  heading(zh: string, en: string) {
    const zhLines = this.wrap(zh, CONTENT_WIDTH, 11.5, true);
    const last = this.widthOf(zhLines[zhLines.length - 1]!, 11.5, true);
    const beside = last + 8 + this.widthOf(en, 8.5) <= CONTENT_WIDTH;
    const enLines = beside ? [en] : this.wrap(en, CONTENT_WIDTH, 8.5);
    const h = zhLines.length * 16 + (beside ? 0 : enLines.length * 12);
    this.ensure(h + 24);
    this.y += 6;
    zhLines.forEach((l, i) => this.text(l, MARGIN_X, this.y + i * 16, { size: 11.5, bold: true, width: CONTENT_WIDTH }));
    if (beside) this.text(en, MARGIN_X + last + 8, this.y + (zhLines.length - 1) * 16 + 3, { size: 8.5, color: GRAY, width: CONTENT_WIDTH - last - 8 });
    else enLines.forEach((l, i) => this.text(l, MARGIN_X, this.y + zhLines.length * 16 + i * 12, { size: 8.5, color: GRAY, width: CONTENT_WIDTH }));
    this.y += h + 6;
  }

  paragraph(str: string, size = 8.5, color = '#000000') {
    const lh = size * 1.55;
    for (const line of this.wrap(str, CONTENT_WIDTH, size)) {
      this.ensure(lh);
      this.text(line, MARGIN_X, this.y, { size, color, width: CONTENT_WIDTH });
      this.y += lh;
    }
    this.y += 4;
  }

  /** Label (Chinese, English) → value rows; the English label goes under the Chinese one when it does not fit beside it, and a long value wraps. */
  keyValues(rows: [zh: string, en: string, value: string][], labelWidth = 220) {
    for (const [zh, en, value] of rows) {
      const zhW = this.widthOf(zh, 9);
      const beside = zhW + 5 + this.widthOf(en, 7) <= labelWidth - 6;
      const enLines = beside ? [en] : this.wrap(en, labelWidth - 6, 7);
      const values = this.wrap(value, CONTENT_WIDTH - labelWidth, 9);
      const h = Math.max(15, values.length * 12 + 3, beside ? 15 : 13 + enLines.length * 9 + 2);
      this.ensure(h);
      this.text(zh, MARGIN_X, this.y, { size: 9, width: labelWidth - 6 });
      if (beside) this.text(en, MARGIN_X + zhW + 5, this.y + 1.5, { size: 7, color: GRAY, width: labelWidth - 6 - zhW - 5 });
      else enLines.forEach((l, i) => this.text(l, MARGIN_X, this.y + 13 + i * 9, { size: 7, color: GRAY, width: labelWidth - 6 }));
      values.forEach((l, i) => this.text(l, MARGIN_X + labelWidth, this.y + i * 12, { size: 9, width: CONTENT_WIDTH - labelWidth }));
      this.y += h;
    }
    this.y += 4;
  }

  table(columns: Column[], opts: { rowHeight?: number; size?: number } = {}) {
    return new Table(this, columns, opts.rowHeight ?? 14, opts.size ?? 8);
  }

  /** Vertical bars, one per label, with a y-axis scaled to the largest value (and an optional target line). */
  barChart(o: { labels: string[]; values: number[]; height?: number; valueLabels?: boolean; target?: { value: number; label: string }; color?: string }) {
    const height = o.height ?? 170;
    this.ensure(height + 34);
    const top = this.y + 8;
    if (this.measure) {
      this.y = top + height + 26;
      return;
    }
    const doc = this.doc!;
    const left = MARGIN_X + 34;
    const width = CONTENT_WIDTH - 40;
    const bottom = top + height;
    const max = Math.max(1, ...o.values, o.target?.value ?? 0);
    const step = niceStep(max / 4);
    const yMax = Math.ceil(max / step) * step;
    const yOf = (v: number) => bottom - (v / yMax) * height;
    for (let v = 0; v <= yMax + 1e-9; v += step) {
      doc.moveTo(left, yOf(v)).lineTo(left + width, yOf(v)).lineWidth(0.3).strokeColor('#c8cdd3').stroke();
      this.text(String(Math.round(v)), MARGIN_X - 4, yOf(v) - 4, { size: 6.5, color: GRAY, width: 34, align: 'right' });
    }
    doc.moveTo(left, top).lineTo(left, bottom).lineTo(left + width, bottom).lineWidth(0.8).strokeColor('#333333').stroke();
    const slot = width / Math.max(1, o.labels.length);
    const barW = slot * 0.62;
    o.labels.forEach((label, i) => {
      const v = o.values[i] ?? 0;
      const x = left + i * slot + (slot - barW) / 2;
      if (v > 0) doc.rect(x, yOf(v), barW, bottom - yOf(v)).fillColor(o.color ?? '#2f6fb0').fill();
      if (o.valueLabels !== false) this.text(String(v), x - 4, yOf(v) - 10, { size: 6.5, width: barW + 8, align: 'center' });
      this.text(label, left + i * slot, bottom + 4, { size: 6.5, width: slot, align: 'center' });
    });
    if (o.target) {
      const ty = yOf(o.target.value);
      doc.moveTo(left, ty).lineTo(left + width, ty).lineWidth(0.8).dash(3, { space: 2 }).strokeColor('#c0392b').stroke().undash();
      this.text(o.target.label, left + width - 150, ty - 10, { size: 6.5, color: '#c0392b', width: 150, align: 'right' });
    }
    this.y = bottom + 26;
  }

  /** Ends the document: footers of buffered pages, then the trailer. Resolves with the hash of all bytes. */
  async finish(): Promise<ReportResult> {
    const missingGlyphs = [...this.missing];
    if (this.measure) return { sha256: '', bytes: 0, pages: this.page, missingGlyphs };
    if (this.page === 0) this.newPage();
    const doc = this.doc!;
    if (this.opts.totalPages === undefined) {
      const range = doc.bufferedPageRange();
      for (let i = range.start; i < range.start + range.count; i++) {
        doc.switchToPage(i);
        this.drawFooter(i + 1, range.count);
      }
      doc.flushPages();
    } else if (this.page !== this.opts.totalPages) {
      throw new Error(`invariant broken: the layout made ${this.page} pages where ${this.opts.totalPages} were planned`);
    }
    doc.end();
    await this.ended;
    await this.flush();
    return { sha256: this.hash.digest('hex'), bytes: this.bytes, pages: this.page, missingGlyphs };
  }
}

interface FkGlyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
interface GlyphInfo {
  font: PdfkitEmbeddedFont;
  hex: string;
  adv: number;
}
interface PdfkitEmbeddedFont {
  id: string;
  subset: { includeGlyph(id: number): number };
  widths: number[];
  unicode: number[][];
  font: { glyphForCodePoint(cp: number): FkGlyph };
  scale: number;
  ascender: number;
  ref(): unknown;
  encode(text: string): [string[], unknown[]];
  layout: (text: string, features?: unknown, onlyWidth?: boolean) => unknown;
}

/**
 * Replaces pdfkit's per-document text layout of an embedded font by a plain cmap lookup. fontkit's OpenType
 * shaping (GSUB/GPOS lookups) took over 90 % of the time of a 100k-row report, and Chinese text, digits and
 * the Latin labels here need none of it: one character is one glyph with its advance width. pdfkit still does
 * the rest (subsetting, widths, ToUnicode map) from the glyphs this returns, and its per-word layout cache,
 * which grows without bound on a long report, is no longer used.
 */
function useCmapLayout(f: PdfkitEmbeddedFont) {
  const cache = new Map<number, { glyph: FkGlyph; position: { xAdvance: number; yAdvance: number; xOffset: number; yOffset: number; advanceWidth: number } }>();
  f.layout = (text: string, _features?: unknown, onlyWidth?: boolean) => {
    const glyphs: FkGlyph[] = [];
    const positions: object[] = [];
    let advanceWidth = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      let g = cache.get(cp);
      if (!g) {
        const glyph = f.font.glyphForCodePoint(cp);
        const adv = glyph.advanceWidth * f.scale;
        g = { glyph, position: { xAdvance: adv, yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: adv } };
        cache.set(cp, g);
      }
      advanceWidth += g.position.xAdvance;
      if (!onlyWidth) {
        glyphs.push(g.glyph);
        positions.push({ ...g.position });
      }
    }
    return { glyphs: onlyWidth ? null : glyphs, positions: onlyWidth ? null : positions, advanceWidth };
  };
}

/** PDF numbers: at most 3 decimals, no exponent, stable text for the same value. */
function num(n: number) {
  const r = Math.round(n * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
}

/** '#2f6fb0' → '0.184 0.435 0.69' (fill colour operands). */
function rgb(hex: string) {
  const h = hex.replace('#', '');
  return [0, 2, 4].map((i) => num(parseInt(h.slice(i, i + 2), 16) / 255)).join(' ');
}

function niceStep(raw: number) {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

export interface Column {
  zh: string;
  en: string;
  width: number;
  align?: 'left' | 'right';
}

/**
 * A table whose header row repeats on every page it runs onto. A cell too long for its column wraps within it
 * (the row grows by a line per extra line), so nothing is cut; a row never splits across pages.
 */
export class Table {
  private started = false;
  private readonly headerHeight = 24;
  private rowsOnPage = 0;
  private rowsDrawn = 0;
  readonly lineHeight: number;

  constructor(private readonly w: ReportWriter, readonly columns: Column[], readonly rowHeight: number, readonly size: number) {
    this.lineHeight = Math.round(size * 1.3 * 10) / 10;
  }

  /** Each cell's lines at its column's width (what row() draws). */
  cellLines(cells: string[], bold = false): string[][] {
    return this.columns.map((c, i) => {
      const s = cells[i];
      // Most cells fit: measure once, and wrap only those that do not (the same test as linesOf).
      return !s ? [''] : this.w.widthOf(s, 1, bold) > (c.width - 6) / this.size + 1e-6 ? this.w.wrap(s, c.width - 6, this.size, bold) : [s];
    });
  }

  /** How many lines a row of these cells takes (1 when every cell fits its column). */
  linesOf(cells: string[], bold = false): number {
    let n = 1;
    this.columns.forEach((c, i) => {
      const s = cells[i];
      // Most cells fit: measure once, and wrap only those that do not.
      if (s && this.w.widthOf(s, 1, bold) > (c.width - 6) / this.size + 1e-6) n = Math.max(n, this.w.wrap(s, c.width - 6, this.size, bold).length);
    });
    return n;
  }

  heightOf(lines: number) {
    return this.rowHeight + (lines - 1) * this.lineHeight;
  }

  private drawHeaderRow() {
    const w = this.w;
    if (!w.measure) {
      const doc = w.doc!;
      doc.rect(MARGIN_X, w.y, CONTENT_WIDTH, this.headerHeight).fillColor(LIGHT).fill();
      let x = MARGIN_X;
      for (const c of this.columns) {
        w.text(c.zh, x + 3, w.y + 3, { size: this.size, bold: true, width: c.width - 6, align: c.align });
        w.text(c.en, x + 3, w.y + 13.5, { size: 6.2, color: GRAY, width: c.width - 6, align: c.align });
        x += c.width;
      }
    }
    w.y += this.headerHeight;
    this.rowsOnPage = 0;
  }

  /**
   * A row of cell texts (null in measure mode, where only the height counts: pass `lines` when it is more
   * than one). `keepWithNext` reserves room for that many more single-line rows on the same page: the last
   * data row passes 1 so that a total row never stands alone on a new page (`total` marks that row).
   */
  row(cells: string[] | null, o: { bold?: boolean; shade?: boolean; rule?: boolean; lines?: number; keepWithNext?: number; total?: boolean } = {}) {
    const w = this.w;
    const bold = o.bold ?? o.total;
    const wrapped = cells && !w.measure ? this.cellLines(cells, bold) : null;
    const lines = wrapped ? Math.max(1, ...wrapped.map((l) => l.length)) : cells ? this.linesOf(cells, bold) : (o.lines ?? 1);
    const height = this.heightOf(lines);
    const need = height + (o.keepWithNext ?? 0) * this.rowHeight;
    if (!this.started || w.remaining < need) {
      if (!this.started ? w.remaining < this.headerHeight + need : true) w.newPage();
      this.drawHeaderRow();
      this.started = true;
    }
    if (o.total) ReportWriter.trace?.({ type: 'total-row', page: w.page, alone: this.rowsOnPage === 0 && this.rowsDrawn > 0 });
    if (!w.measure && wrapped) {
      const doc = w.doc!;
      if (o.shade) doc.rect(MARGIN_X, w.y, CONTENT_WIDTH, height).fillColor('#f5f7f9').fill();
      const ty = w.y + (this.rowHeight - this.size) / 2 - 1;
      const items: (TextOptions & { str: string; x: number; y: number })[] = [];
      let x = MARGIN_X;
      this.columns.forEach((c, i) => {
        wrapped[i]!.forEach((str, k) => items.push({ str, x: x + 3, y: ty + k * this.lineHeight, size: this.size, bold, width: c.width - 6, align: c.align }));
        x += c.width;
      });
      w.textLine(items);
      if (o.rule !== false) doc.moveTo(MARGIN_X, w.y + height).lineTo(MARGIN_X + CONTENT_WIDTH, w.y + height).lineWidth(0.25).strokeColor('#d5dae0').stroke();
    }
    w.y += height;
    this.rowsOnPage += 1;
    this.rowsDrawn += 1;
  }

  /** Data rows, then a total row that stays with at least the last of them. */
  rowsWithTotal(rows: string[][], total: string[], o: { shade?: boolean } = {}) {
    rows.forEach((r, i) => this.row(r, { keepWithNext: i === rows.length - 1 ? 1 : 0, shade: o.shade && i % 2 === 1 }));
    this.row(total, { total: true });
  }

  /** Ends the table: the next block starts a little lower and re-checks the page. */
  end() {
    this.w.y += 8;
  }
}
