/*
 * utf8.h: strict UTF-8 checks for text that people will read (display
 * names, chat, reasons): RFC 3629, so no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
#ifndef VC_WIRE_UTF8_H
#define VC_WIRE_UTF8_H

#include <stddef.h>

/*
 * Returns the number of code points in |s| (|len| bytes), or -1 when it is
 * not valid UTF-8, or when |no_controls| is set and it holds a control
 * character (C0, DEL, C1) or a line/paragraph separator.
 */
long vc__utf8_count(const char *s, size_t len, int no_controls);

#endif /* VC_WIRE_UTF8_H */
