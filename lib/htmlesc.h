/* The character references of HTML and XML text and attribute values:
 * one table for every writer that escapes (templates, the customer page,
 * the console, TwiML replies, the HTML part of an email). */
#ifndef DUNN_HTMLESC_H
#define DUNN_HTMLESC_H

/* The reference that stands for c (&amp; &lt; &gt; &quot; &#39;), or
 * NULL when c stands for itself. &#39; rather than &apos;: HTML 4 has no
 * &apos;, and XML reads both. */
const char *htmlesc_entity(int c);

#endif
