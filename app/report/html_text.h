/* Text into HTML (and inline SVG): the one escaping function every string
 * from a run file or a data set goes through (class names are folder
 * names; configuration text and failure messages are whatever was typed),
 * so a class named <script>alert(1)</script> shows as that text. */
#ifndef NF_HTML_TEXT_H
#define NF_HTML_TEXT_H

#include <stdio.h>

/* Writes s to f with & < > " ' as character references; control bytes
 * other than tab and newline become U+FFFD. NULL writes nothing. Safe in
 * element content and in a quoted attribute value. */
void nf_html_text(FILE *f, const char *s);

#endif
