// Where RSS items are found. rss-parser expects <rss><channel><item> (RSS 0.9x/2.0) and <rdf:RDF><item> beside
// the RDF <channel> (RSS 1.0), and throws a TypeError on a document without a <channel>. Readers also take
// <rss><item> with no channel (hand-written and some CMS exports) and RDF items written inside the channel.
import { childOf, childrenOf, isNode, type XmlNode } from './xml-node.ts';

export interface RssShape {
  /** the root as rss-parser may read it: it always has a <channel> that is an element */
  root: XmlNode;
  /** the (first) channel, or an empty one when the document has none */
  channel: XmlNode;
  /** true when the items are taken from the lenient place (XmlScan.looseItems) */
  loose: boolean;
}

/** The root of an RSS (rss) or RDF (rdf) document given a channel, its items where readers find them. */
export function withItems(root: unknown, format: 'rss' | 'rdf'): RssShape {
  const node: XmlNode = isNode(root) ? root : {};
  const first = childOf(node, 'channel');
  let channel: XmlNode = isNode(first) ? first : {};
  let shaped: XmlNode = { ...node, channel: [channel] };
  let loose = false;
  if (format === 'rss' && childrenOf(channel, 'item').length === 0 && childrenOf(node, 'item').length > 0) {
    channel = { ...channel, item: childrenOf(node, 'item') };
    shaped = { ...node, channel: [channel] };
    loose = true;
  } else if (format === 'rdf' && childrenOf(node, 'item').length === 0 && childrenOf(channel, 'item').length > 0) {
    shaped = { ...shaped, item: childrenOf(channel, 'item') };
    loose = true;
  }
  return { root: shaped, channel, loose };
}
