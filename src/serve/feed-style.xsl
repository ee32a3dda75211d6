<?xml version="1.0" encoding="utf-8"?>
<!-- Turns an Atom or RSS feed of this service into a readable page when a browser opens it. Feed readers
     ignore the xml-stylesheet instruction and read the feed as it is. XSLT 1.0 only, and no
     disable-output-escaping, which Firefox does not support. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes"/>

  <xsl:template match="/">
    <html>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="atom:feed/atom:title | rss/channel/title"/> · web feed</title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; color: #222 }
          .about { background: #fff6d6; border: 1px solid #e8d48a; padding: .6rem 1rem; border-radius: 4px }
          ol { padding-left: 1.4rem } li { margin: .7rem 0 }
          .meta { color: #666; font-size: .85rem }
          nav a { margin-right: 1rem }
        </style>
      </head>
      <body>
        <p class="about">This is a <strong>web feed</strong>. Copy the address of this page into your feed reader
          to subscribe; the reader gets the feed itself, this page is only how a browser shows it.</p>
        <xsl:apply-templates select="atom:feed | rss/channel"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:feed">
    <h1><xsl:value-of select="atom:title"/></h1>
    <p><xsl:value-of select="atom:subtitle"/></p>
    <p><a href="{atom:link[@rel='alternate'][1]/@href}">All feeds of this site</a></p>
    <ol><xsl:apply-templates select="atom:entry"/></ol>
    <xsl:call-template name="paging">
      <xsl:with-param name="links" select="atom:link"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li>
      <a href="{atom:link[not(@rel) or @rel='alternate'][1]/@href}">
        <!-- Entry titles are type="html": escaped text, unescaped here to show as written. -->
        <xsl:call-template name="unescape"><xsl:with-param name="text" select="atom:title"/></xsl:call-template>
      </a>
      <div class="meta">
        <xsl:value-of select="substring(atom:published, 1, 10)"/>
        <xsl:if test="atom:source"> · <xsl:value-of select="atom:source/atom:title"/></xsl:if>
      </div>
    </li>
  </xsl:template>

  <xsl:template match="rss/channel">
    <h1><xsl:value-of select="title"/></h1>
    <p><xsl:value-of select="description"/></p>
    <p><a href="{link}">All feeds of this site</a></p>
    <ol>
      <xsl:for-each select="item">
        <li>
          <a href="{link}"><xsl:value-of select="title"/></a>
          <div class="meta">
            <xsl:value-of select="pubDate"/>
            <xsl:if test="source"> · <xsl:value-of select="source"/></xsl:if>
          </div>
        </li>
      </xsl:for-each>
    </ol>
    <xsl:call-template name="paging">
      <xsl:with-param name="links" select="atom:link"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="paging">
    <xsl:param name="links"/>
    <nav>
      <xsl:if test="$links[@rel='previous']"><a href="{$links[@rel='previous']/@href}">← Newer</a></xsl:if>
      <xsl:if test="$links[@rel='next']"><a href="{$links[@rel='next']/@href}">Older →</a></xsl:if>
    </nav>
  </xsl:template>

  <xsl:template name="unescape">
    <xsl:param name="text"/>
    <xsl:call-template name="replace">
      <xsl:with-param name="text">
        <xsl:call-template name="replace">
          <xsl:with-param name="text">
            <xsl:call-template name="replace">
              <xsl:with-param name="text" select="$text"/>
              <xsl:with-param name="from" select="'&amp;lt;'"/>
              <xsl:with-param name="to" select="'&lt;'"/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="from" select="'&amp;gt;'"/>
          <xsl:with-param name="to" select="'&gt;'"/>
        </xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="from" select="'&amp;amp;'"/>
      <xsl:with-param name="to" select="'&amp;'"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="replace">
    <xsl:param name="text"/>
    <xsl:param name="from"/>
    <xsl:param name="to"/>
    <xsl:choose>
      <xsl:when test="contains($text, $from)">
        <xsl:value-of select="concat(substring-before($text, $from), $to)"/>
        <xsl:call-template name="replace">
          <xsl:with-param name="text" select="substring-after($text, $from)"/>
          <xsl:with-param name="from" select="$from"/>
          <xsl:with-param name="to" select="$to"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
