// The CJK fonts every report embeds. pdfkit subsets an embedded TrueType font to the glyphs a document uses,
// so a 10 MB font file becomes a few kilobytes in the PDF. Noto Sans SC (npm @expo-google-fonts/noto-sans-sc)
// is the primary font; it lacks some CJK Extension B surname characters (e.g. 𠮷 U+20BB7), so the kit keeps a
// chain: for each character the first font that has its glyph is used (no tofu boxes). An optional fallback,
// Noto Sans JP (npm @expo-google-fonts/noto-sans-jp), covers 𠮷 and other JIS X 0213 characters when it is
// installed. A character no font has is replaced by 〓 (the conventional "missing character" mark) and counted,
// so a report never shows an empty box silently.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface FontkitFont {
  hasGlyphForCodePoint(cp: number): boolean;
  layout(text: string): { advanceWidth: number };
  unitsPerEm: number;
}
// fontkit is pdfkit's own dependency: resolve it from pdfkit so the kit reads coverage with the same library.
const fontkit = createRequire(require.resolve('pdfkit'))('fontkit') as { create(buf: Buffer): FontkitFont };

export const MISSING_GLYPH = '〓';

export interface FontFace {
  /** Name the face is registered under in each pdfkit document. */
  name: string;
  file: string;
  data: Buffer;
  font: FontkitFont;
}

function packageFile(pkg: string, rel: string): string | undefined {
  try {
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    const file = path.join(dir, rel);
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

function load(name: string, file: string): FontFace {
  const data = fs.readFileSync(file);
  return { name, file, data, font: fontkit.create(data) };
}

export interface FontChain {
  regular: FontFace[];
  bold: FontFace[];
}

let cached: FontChain | undefined;

/** Loads the font files once per process (they are read-only buffers shared by every document). */
export function fontChain(): FontChain {
  if (cached) return cached;
  const sc = packageFile('@expo-google-fonts/noto-sans-sc', '400Regular/NotoSansSC_400Regular.ttf');
  const scBold = packageFile('@expo-google-fonts/noto-sans-sc', '700Bold/NotoSansSC_700Bold.ttf');
  if (!sc) throw new Error('the CJK font @expo-google-fonts/noto-sans-sc is not installed (npm install)');
  const extra = (process.env.REPORT_FALLBACK_FONT ?? '').split(path.delimiter).filter(Boolean);
  const jp = packageFile('@expo-google-fonts/noto-sans-jp', '400Regular/NotoSansJP_400Regular.ttf');
  const fallbacks = [...(jp ? [jp] : []), ...extra].map((f, i) => load(`fallback-${i}`, f));
  const regular = load('sc-regular', sc);
  const bold = scBold ? load('sc-bold', scBold) : regular;
  cached = { regular: [regular, ...fallbacks], bold: [bold, regular, ...fallbacks].filter((f, i, a) => a.indexOf(f) === i) };
  return cached;
}

/** True when some font of the chain draws this character. */
export function isCovered(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return fontChain().regular.some((f) => f.font.hasGlyphForCodePoint(cp));
}
