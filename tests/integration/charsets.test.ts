// Feeds in legacy encodings, labelled in the HTTP header, in the XML declaration, wrongly, or not at all,
// fetched from a real server and read back from the store as correct Unicode.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App, CycleReport } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp } from '../helpers/test-app.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url));
const GBK = fixture('chinanews.gbk.rss.xml');
const undeclared = (bytes: Buffer) => Buffer.from(bytes.toString('latin1').replace(/ encoding="[^"]*"/, ''), 'latin1');
/** The same GBK bytes with a different feed URL base, so each source's items stay its own. */
const relinked = (bytes: Buffer, tag: string) => Buffer.from(bytes.toString('latin1')
  .replaceAll('chinanews.example.cn', `${tag}.example.cn`).replaceAll('news.example.org', `${tag}.example.org`), 'latin1');
const GBK_TITLES = ['国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云', '新能源汽车3月销量创新高'];

const fx = new FixtureServer();
let app: App;
let report: CycleReport;

const cases = [
  { id: 'gbk-header', path: '/gbk-header.xml', type: 'application/rss+xml; charset=GBK', body: relinked(undeclared(GBK), 'h'), titles: GBK_TITLES },
  { id: 'gbk-declared', path: '/gbk-declared.xml', type: 'text/xml', body: relinked(GBK, 'd'), titles: GBK_TITLES },
  { id: 'gb2312-mislabelled', path: '/gb2312.xml', type: 'text/xml; charset=gb2312', body: relinked(undeclared(GBK), 'm'), titles: GBK_TITLES },
  { id: 'gbk-override', path: '/gbk-override.xml', type: 'text/xml', body: relinked(undeclared(GBK), 'o'), titles: GBK_TITLES, encoding: 'gbk' },
  { id: 'big5', path: '/big5.xml', type: 'application/xml', body: relinked(fixture('charsets/big5.rss.xml'), 'big5'), titles: ['總統府發表聲明，民眾關注', '臺灣新聞：颱風來襲'] },
  { id: 'cp1252', path: '/cp1252.xml', type: 'text/xml; charset=windows-1252', body: relinked(undeclared(fixture('charsets/windows-1252.rss.xml')), 'cp1252'),
    titles: ['Café “menu” – €5 for naïve diners', 'Zoë’s œuvre: ‘déjà vu’ … ™'] },
  { id: 'sjis', path: '/sjis.xml', type: 'text/xml', body: relinked(fixture('charsets/shift_jis.rss.xml'), 'sjis'), titles: ['日本語のニュース：東京で桜が開花', '気象庁「今週末は晴れ」'] },
  { id: 'euckr', path: '/euckr.xml', type: 'text/xml', body: relinked(fixture('charsets/euc-kr.rss.xml'), 'euckr'), titles: ['국회, 예산안 통과', '한국어 뉴스: 서울 날씨 맑음'] },
  { id: 'latin2', path: '/latin2.xml', type: 'text/xml', body: relinked(fixture('charsets/iso-8859-2.rss.xml'), 'latin2'), titles: ['Zażółć gęślą jaźń', 'Łódź: Śnieżka pod śniegiem'] },
  { id: 'bad-byte', path: '/bad-byte.xml', type: 'text/xml', body: relinked(fixture('charsets/gbk-invalid-byte.rss.xml'), 'b'),
    titles: ['喆镕堃：北京今日晴\uFFFD转多云', '国产大模型：既需“仰望星空”也要脚踏实地', '新能源汽车3月销量创新高'] },
];

beforeAll(async () => {
  await fx.start();
  for (const c of cases) fx.routes.set(c.path, { headers: { 'content-type': c.type }, body: c.body });
  // Control characters are not allowed in XML; CMS exports carry them anyway.
  fx.routes.set('/controls.xml', { headers: { 'content-type': 'application/rss+xml' }, body: Buffer.from(
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>c</title>'
    + '<item><title>Bell\u0007 and\u000B vertical tab</title><link>https://c.example.org/1</link></item></channel></rss>') });
  const sources = [...cases.map((c) => ({ id: c.id, url: fx.url(c.path), timezone: 'Asia/Shanghai', ...(c.encoding ? { encoding: c.encoding } : {}) })),
    { id: 'controls', url: fx.url('/controls.xml') }];
  ({ app } = await openTestApp(sources));
  report = await app.runCycle();
});

afterAll(async () => {
  await app.close();
  await fx.stop();
});

describe('character encodings', () => {
  it.each(cases)('$id comes out as correct Unicode', ({ id, titles }) => {
    // The GBK cases share their titles, so title dedupe keeps each story once and lists the others in alsoIn.
    const stored = app.store.items().filter((i) => i.sourceId === id || i.alsoIn.includes(id)).map((i) => i.title);
    expect(stored.sort()).toEqual([...titles].sort());
    expect(app.store.sourceState(id)).toMatchObject({ httpStatus: 200, consecutiveFailures: 0, itemsSeen: titles.length });
  });

  it('marks an invalid byte with U+FFFD in that field only: content and other items are clean', () => {
    const items = app.store.items().filter((i) => i.sourceId === 'bad-byte' || i.alsoIn.includes('bad-byte'));
    const marked = items.filter((i) => JSON.stringify(i).includes('\uFFFD'));
    expect(marked.map((i) => i.title)).toEqual(['喆镕堃：北京今日晴\uFFFD转多云']);
    expect(marked[0]!.summary ?? marked[0]!.content).toContain('天气预报：北京今日晴转多云');
  });

  it('drops XML-illegal control characters instead of failing the feed', () => {
    expect(app.store.items().find((i) => i.sourceId === 'controls')!.title).toBe('Bell and vertical tab');
    expect(report.sources.every((s) => s.status === 'ok')).toBe(true);
  });
});
