import { expect } from 'chai';
import crypto from 'node:crypto';
import { ReportWriter, formatAmount, type ReportMeta } from '../../reports/kit';
import { fontChain } from '../../reports/fonts';
import { renderAidDisclosure, summarizeDisclosures } from '../../reports/aid-disclosure';
import { syntheticDisclosures, benchLabels } from '../../bench/reports/index';
import { isPdf, pdfText, squash } from './support';

const META: ReportMeta = {
  kind: 'test', titleZh: '版式测试', titleEn: 'Layout test', period: '2026-01-01 至 2026-12-31', scope: '全部基金 All funds',
  generatedAt: new Date('2026-11-25T10:00:00Z'), head: { seq: 42, hash: 'ab'.repeat(32), time: '2026-11-25T09:00:00.000Z' },
};

async function collect(f: (w: ReportWriter) => void | Promise<void>, meta = META) {
  const chunks: Buffer[] = [];
  const w = new ReportWriter(meta).pipeTo({ write: (c) => void chunks.push(c) });
  await f(w);
  const result = await w.finish();
  const buf = Buffer.concat(chunks);
  return { buf, result };
}

const RARE = ['龑', '赟', '堃', '喆', '犇', '禤', '亓', '𬱖'];
const hasFallback = fontChain().regular.length > 1;

describe('reports: layout kit', () => {
  it('embeds the CJK font, subset: common and rare surname characters extract back, no tofu', async function () {
    this.timeout(20_000);
    const names = [...RARE.map((c) => `${c}*明`), '王*国', '欧**娜', ...(hasFallback ? ['𠮷*'] : [])];
    const { buf, result } = await collect((w) => {
      const t = w.table([{ zh: '姓名', en: 'Name', width: 120 }, { zh: '金额', en: 'Amount', width: 120, align: 'right' }]);
      for (const n of names) t.row([n, formatAmount('1234.50')]);
    });
    expect(isPdf(buf)).to.equal(true);
    expect(result.missingGlyphs).to.deep.equal([]);
    const { text } = await pdfText(buf);
    for (const n of names) expect(text).to.include(n);
    expect(text).to.include('北京市温暖基金会');
    expect(text).to.include('Beijing Warmth Foundation');
    expect(text).to.include('版式测试');
    expect(squash(text)).to.include('第1页/共1页');
    expect(text).to.include('1,234.50');
    expect(text).to.include(`seq 42`);
    expect(text).to.include('ab'.repeat(32));
    // Subset: the 10 MB font becomes a few tens of kB.
    expect(buf.length).to.be.lessThan(120_000);
    expect(buf.toString('latin1')).to.match(/\/FontFile2|\/FontFile3/);
  });

  it('𠮷 (U+20BB7, not in Noto Sans SC) comes from the fallback font, or is shown as 〓 and reported, never dropped', async function () {
    this.timeout(20_000);
    const { buf, result } = await collect((w) => w.paragraph('𠮷*明 吉*明'));
    const { text } = await pdfText(buf);
    if (hasFallback) {
      expect(result.missingGlyphs).to.deep.equal([]);
      expect(text).to.include('𠮷*明');
    } else {
      expect(result.missingGlyphs).to.deep.equal(['𠮷']);
      expect(text).to.include('〓*明');
    }
  });

  it('puts the header and "第 n 页 / 共 N 页" on every page of a table that pages', async function () {
    this.timeout(20_000);
    const { buf, result } = await collect((w) => {
      const t = w.table([{ zh: '序号', en: 'No.', width: 100 }]);
      for (let i = 0; i < 150; i++) t.row([String(i + 1)]);
    });
    const { pages, total } = await pdfText(buf);
    expect(total).to.equal(result.pages).and.be.greaterThan(2);
    pages.forEach((p, i) => {
      expect(squash(p)).to.include(`第${i + 1}页/共${total}页`);
      expect(p).to.include('北京市温暖基金会');
      expect(p).to.include('序号'); // the table header repeats
    });
  });

  it('is deterministic: the same data, parameters and head give the same bytes; another head other bytes', async function () {
    this.timeout(20_000);
    const draw = (w: ReportWriter) => {
      w.heading('汇总', 'Summary');
      w.keyValues([['案件数', 'Cases', '3']]);
      w.barChart({ labels: ['1月', '2月'], values: [3, 5], target: { value: 4, label: '目标' } });
    };
    const a = await collect(draw);
    const b = await collect(draw);
    expect(a.buf.equals(b.buf)).to.equal(true);
    const c = await collect(draw, { ...META, head: { ...META.head, seq: 43 } });
    expect(a.buf.equals(c.buf)).to.equal(false);
    expect(a.buf.toString('latin1')).to.match(/D:20261125090000Z/);
  });

  it('streams the aid disclosure with the page total known up front (two passes), pages numbered exactly', async function () {
    this.timeout(60_000);
    const n = 700;
    const summary = await summarizeDisclosures(syntheticDisclosures(n, 100), benchLabels);
    expect(summary.count).to.equal(n);
    const chunks: Buffer[] = [];
    let progress = 0;
    const hash = crypto.createHash('sha256');
    const result = await renderAidDisclosure({ ...META, kind: 'aid-disclosure', titleZh: '应急救助公示', titleEn: 'Emergency aid disclosure' }, summary, () => syntheticDisclosures(n, 100), benchLabels, {
      write: (c) => {
        chunks.push(c);
        hash.update(c);
      },
    }, (done) => (progress = done));
    expect(progress).to.equal(n);
    const buf = Buffer.concat(chunks);
    expect(hash.digest('hex')).to.equal(result.sha256);
    const { pages, total, text } = await pdfText(buf);
    expect(total).to.equal(result.pages);
    pages.forEach((p, i) => expect(squash(p)).to.include(`第${i + 1}页/共${total}页`));
    expect(text).to.include('2026-CY-000003');
    expect(text).to.include('按事由');
    expect(text).to.include('朝阳区');
    expect(text).to.include(formatAmount(summary.total));
  });
});
