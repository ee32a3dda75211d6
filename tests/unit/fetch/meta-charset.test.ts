import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../../src/fetch/charset.ts';
import { metaCharset } from '../../../src/fetch/meta-charset.ts';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('metaCharset: the browsers\' prescan of the first 1024 bytes', () => {
  it.each([
    ['<meta charset=gb2312>', 'gb2312', 'an unquoted charset attribute'],
    ['<!DOCTYPE html><html><head><meta charset="GBK"/>', 'GBK', 'a quoted charset with a self-closing slash'],
    ['<META CHARSET=\'big5\'>', 'big5', 'upper-case tag and attribute names'],
    ['<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', 'gb2312', 'the HTML 4 http-equiv form'],
    ['<meta content="text/html; charset=GBK" http-equiv="content-type">', 'GBK', 'http-equiv after content'],
    ['<meta content="text/html; charset=\'utf-8\'" http-equiv=Content-Type>', 'utf-8', 'a quoted label inside content'],
    ['<meta content="text/html; charset=gbk">', undefined, 'content without http-equiv is no declaration'],
    ['<!-- <meta charset="utf-8"> --><meta charset="gbk">', 'gbk', 'a <meta> inside a comment is skipped'],
    ['<title>a <meta charset=utf-8> title</title><meta charset=gbk>', 'utf-8', 'title text is not skipped by the prescan (as in browsers)'],
    ['<div data-x="<meta charset=utf-8>"><meta charset=gbk>', 'gbk', 'a <meta> inside another tag\'s quoted attribute is skipped'],
    ['<meta name="keywords" content="新闻"><meta charset=gbk>', 'gbk', 'a <meta> without charset is passed over'],
    ['<meta charset="gbk" charset="utf-8">', 'gbk', 'the first of a repeated attribute wins'],
    ['<meta-data charset=utf-8><meta charset=gbk>', 'gbk', '<meta-data> is another tag'],
    [`<head>${' '.repeat(1024)}<meta charset=gbk>`, undefined, 'a <meta> after 1024 bytes is not read'],
    ['<!-- unterminated comment <meta charset=gbk>', undefined, 'an unterminated comment hides the rest'],
    ['', undefined, 'an empty body'],
  ] as [string, string | undefined, string][])('%s → %s (%s)', (html, expected) => {
    expect(metaCharset(bytes(html))).toBe(expected);
  });
});

describe('decodeBody for a web page', () => {
  const page = (meta: string) => Buffer.concat([bytes(`<html><head>${meta}<title>`), iconv.encode('喆镕堃新闻', 'gbk'), bytes('</title></head></html>')]);

  it('decodes by <meta charset> when the HTTP header names none', () => {
    expect(decodeBody(page('<meta charset=gb2312>'), { contentType: 'text/html', document: 'html' })).toMatchObject({ charset: 'gb18030', from: 'meta' });
    expect(decodeBody(page('<meta charset=gb2312>'), { document: 'html' }).text).toContain('喆镕堃新闻');
  });

  it('lets the HTTP header win over <meta>, and <meta> over the override', () => {
    expect(decodeBody(page('<meta charset=utf-8>'), { contentType: 'text/html; charset=GBK', document: 'html' })).toMatchObject({ from: 'http' });
    expect(decodeBody(page('<meta charset=gbk>'), { override: 'big5', document: 'html' })).toMatchObject({ from: 'meta', charset: 'gb18030' });
  });

  it('falls back to the override when the page declares nothing', () => {
    const decoded = decodeBody(page(''), { override: 'gbk', document: 'html' });
    expect(decoded).toMatchObject({ from: 'override', charset: 'gb18030' });
    expect(decoded.text).toContain('喆镕堃新闻');
  });

  it('reads a UTF-16 <meta> label in an ASCII-compatible page as UTF-8, and x-user-defined as windows-1252', () => {
    expect(decodeBody(bytes('<meta charset=utf-16le>'), { document: 'html' })).toMatchObject({ charset: 'utf-8', from: 'meta' });
    expect(decodeBody(bytes('<meta charset=x-user-defined>'), { document: 'html' })).toMatchObject({ charset: 'windows-1252', from: 'meta' });
  });

  it('never reads <meta> in a feed, whose item HTML may carry one', () => {
    const feed = bytes('<rss><channel><item><description><![CDATA[<meta charset=gbk>]]></description></item></channel></rss>');
    expect(decodeBody(feed, { override: 'big5' })).toMatchObject({ from: 'override' });
  });
});
