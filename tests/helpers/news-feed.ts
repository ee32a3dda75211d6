// RSS documents of realistic news: English and Chinese headlines, summaries from two sentences to a whole article
// (one item in ten, longer than the 4,096 characters a filter reads), with markup and entities, the same for
// the same arguments. For tests whose cost depends on what real items look like, such as ?filter= over a big store.

const BASE = Date.UTC(2025, 2, 1, 8, 0, 0);

const WORDS = ('the of and to in a is that for on with as by at from its an was were has have will markets rally rates hold '
  + 'central bank inflation climate summit leaders ministers agree pledge football cup final tonight election results vote '
  + 'parliament technology chip maker launches new model artificial intelligence startup raises funding quarterly earnings '
  + 'beat expectations shares rose fell percent analysts said government policy trade tariffs exports imports growth economy '
  + 'Reuters Beijing Shanghai Shenzhen Berlin Paris Tokyo Q1 2025 EV battery solar wind quantum qubit').split(' ');
const CHINESE = ['新能源汽车', '销量', '创新高', '中国', '汽车工业协会', '数据显示', '大模型', '人工智能', '芯片', '半导体', '政策', '市场',
  '经济增长', '国务院', '发布', '通知', '记者', '报道', '北京', '上海', '深圳', '科技', '公司', '股价', '上涨', '下跌', '消费者', '出口',
  '进口', '3月', '同比增长', '百分之', '亿元', '，', '、'];

/** A small seeded generator (mulberry32), so that a feed is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(next: () => number, chinese: boolean): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const length = 6 + Math.floor(next() * 14);
  if (chinese) return `${Array.from({ length }, () => pick(CHINESE)).join('')}。`;
  const words = Array.from({ length }, () => pick(WORDS));
  return `${words[0]![0]!.toUpperCase()}${words[0]!.slice(1)} ${words.slice(1).join(' ')}.`;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Items 0..count-1 of `sourceId`, newest first, one minute apart from 2025-03-01; four in ten in Chinese. */
export function newsRss(sourceId: string, count: number, seed = 1): string {
  const next = random(seed);
  const items: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const chinese = next() < 0.4;
    const title = sentence(next, chinese).slice(0, 90);
    const size = next();
    const paragraphs = size < 0.1 ? 40 : size < 0.5 ? 4 : 1;
    const html = Array.from({ length: paragraphs }, () => `<p>${sentence(next, next() < 0.7 ? chinese : !chinese)} <b>${sentence(next, chinese)}</b> &amp; ${sentence(next, chinese)}</p>`).join('');
    items.push(`<item><title>${escapeXml(title)}</title><link>https://${sourceId}.example.com/news/${i}</link>`
      + `<guid>https://${sourceId}.example.com/news/${i}</guid><pubDate>${new Date(BASE + i * 60_000).toUTCString()}</pubDate>`
      + `<description>${escapeXml(html)}</description></item>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>${sourceId} news</title>`
    + `<link>https://${sourceId}.example.com/</link><description>generated news</description>\n${items.join('\n')}\n</channel></rss>\n`;
}
