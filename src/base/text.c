#include "text.h"

#include "utf8.h"

/* The ASCII characters for which Python's str.isspace() is true. */
static bool py_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

const char *text_strip(const char *s, size_t len, size_t *out_len)
{
    while (len && py_space((unsigned char)s[0]))
        s++, len--;
    while (len && py_space((unsigned char)s[len - 1]))
        len--;
    *out_len = len;
    return s;
}

size_t ansi_escape_len(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i;

    if (len < 2 || p[0] != 0x1B)
        return 0;
    if (p[1] == '[') { /* CSI: parameters, intermediates, one final byte */
        for (i = 2; i < len && p[i] >= 0x20 && p[i] <= 0x3F; i++)
            ;
        return i < len && p[i] >= 0x40 && p[i] <= 0x7E ? i + 1 : i;
    }
    if (p[1] == ']') { /* OSC: up to BEL or ESC \ */
        for (i = 2; i < len; i++) {
            if (p[i] == 0x07)
                return i + 1;
            if (p[i] == 0x1B && i + 1 < len && p[i + 1] == '\\')
                return i + 2;
        }
        return len;
    }
    return 2;
}

char *text_one_line(const char *s, size_t len, size_t max_cps)
{
    strbuf sb;
    size_t cps = 0;

    sb_init(&sb);
    for (size_t i = 0; i < len;) {
        size_t esc = ansi_escape_len(s + i, len - i);
        if (esc) {
            i += esc;
            continue;
        }
        if (cps == max_cps) {
            sb_puts(&sb, "…");
            break;
        }
        long cp;
        size_t k = utf8_step(s + i, len - i, &cp);
        if (cp < 0)
            sb_puts(&sb, UTF8_REPLACEMENT);
        else if (cp < 0x20 || cp == 0x7F)
            sb_putc(&sb, ' ');
        else
            sb_append(&sb, s + i, k);
        i += k;
        cps++;
    }
    return sb_detach(&sb);
}
