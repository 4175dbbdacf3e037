#include "html_pictures.h"
#include "report_common.h"

#include <math.h>
#include <string.h>

/* The strip's cells, in SVG user units (pixels at the page's scale). */
#define CELL 16
#define PITCH 20
#define STRIP_TOP 3
#define STRIP_HEIGHT 36
/* Beyond the artefact's bound, margins up to this are still close calls; past it, clear ones. */
#define CLOSE_NATS 5.0

const char HTML_PICTURES_CSS[] =
    ".tops{display:grid;grid-template-columns:repeat(auto-fit,minmax(20em,1fr));gap:1em}\n"
    "figure{margin:.6em 0}figcaption{font-weight:600;margin-bottom:.2em}\n"
    "table.top{width:100%}table.top td{border:none;padding:.1em .4em;vertical-align:middle}\n"
    "table.top td.mark{white-space:nowrap;font-size:13px}\n"
    "table.top td.logp{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;"
    "white-space:nowrap;text-align:right}\n"
    "table.top td.bar{width:35%}table.top td.bar span{display:block;height:.9em;"
    "background:#afb8c1;min-width:1px}\n"
    "table.top tr.expected td.bar span{background:#4ac26b}table.top tr.got td.bar span{background:#fa4549}\n"
    "table.top tr.expected,table.top tr.got{font-weight:600}\n"
    "p.absent{color:#57606a;margin:.2em 0}\n"
    "svg.strip{max-width:100%;height:auto;display:block}svg.strip text{font:10px sans-serif;fill:#57606a}\n"
    "svg.strip rect.at{fill:none;stroke:#1f2328;stroke-width:2}\n"
    ".m-near{fill:#fb8f44;background:#fb8f44}.m-close{fill:#fae17d;background:#fae17d}"
    ".m-clear{fill:#b6e3ff;background:#b6e3ff}.m-none{fill:#eaeef2;background:#eaeef2}\n"
    "p.legend{font-size:13px;margin:.2em 0}p.legend span.swatch{display:inline-block;width:.9em;"
    "height:.9em;vertical-align:-.1em;margin:0 .3em 0 .8em}\n";

static void put_logprob(FILE *out, double lp)
{
    fprintf(out, "%s%.2f", lp <= -0.005 ? "\u2212" : "", fabs(lp));
}

static long id_of(const cJSON *obj, const char *key)
{
    long id;
    return json_long(cJSON_GetObjectItemCaseSensitive(obj, key), &id) ? id : -1;
}

/* A document is read as it is: a logprob or margin that is not a finite number draws as unknown. */
static bool finite_number(const cJSON *item, double *out)
{
    return json_number(item, out) && isfinite(*out);
}

static void put_token(FILE *out, const cJSON *entry)
{
    fprintf(out, "<code>%ld", id_of(entry, "id"));
    const char *text = json_str(entry, "text");
    if (text) {
        fputs(" &quot;", out);
        escape_puts(out, text, ESC_MARKUP | ESC_VISIBLE);
        fputs("&quot;", out);
    }
    fputs("</code>", out);
}

/* Entries without an id are no entries; `id` >= 0: whether it is among them. */
static int entries(const cJSON *top, long id, bool *listed)
{
    const cJSON *entry;
    int n = 0;
    *listed = false;
    cJSON_ArrayForEach (entry, top) {
        long e = id_of(entry, "id");
        n += e >= 0;
        *listed = *listed || (id >= 0 && e == id);
    }
    return n;
}

/* One side's top-k at the divergence: each bar as long as the token's probability. */
static void top_bars(FILE *out, const char *whose, const cJSON *top, const cJSON *div)
{
    long expected = id_of(div, "expected"), got = id_of(div, "got"), at = id_of(div, "index");
    const cJSON *entry;
    bool expected_listed, got_listed;
    int n = entries(top, expected, &expected_listed);
    entries(top, got, &got_listed);

    fprintf(out, "<figure>\n<figcaption>%s top %d at token %ld</figcaption>\n", whose, n, at);
    fputs("<table class=\"top\">\n", out);
    cJSON_ArrayForEach (entry, top) {
        long id = id_of(entry, "id");
        if (id < 0)
            continue;
        double lp;
        bool known = finite_number(cJSON_GetObjectItemCaseSensitive(entry, "logprob"), &lp) && lp <= 0;
        const char *mark = id == expected ? "expected" : id == got ? "got" : NULL;
        fprintf(out, "<tr%s%s%s><td>", mark ? " class=\"" : "", mark ? mark : "", mark ? "\"" : "");
        put_token(out, entry);
        fprintf(out, "</td><td class=\"bar\"><span style=\"width:%.1f%%\"></span></td><td class=\"logp\">",
                known ? 100 * exp(lp) : 0);
        if (known)
            put_logprob(out, lp);
        else
            fputs("?", out);
        fprintf(out, "</td><td class=\"mark\">%s</td></tr>\n", mark ? mark : "");
    }
    fputs("</table>\n", out);
    if (expected >= 0 && !expected_listed)
        fprintf(out, "<p class=\"absent\">expected %ld is not among them</p>\n", expected);
    if (got >= 0 && !got_listed)
        fprintf(out, "<p class=\"absent\">got %ld is not among them</p>\n", got);
    fputs("</figure>\n", out);
}

static void tops(FILE *out, const cJSON *div)
{
    const cJSON *oracle = json_array(div, "oracle_top"), *engine = json_array(div, "engine_top");
    const char *cls = json_str(div, "class");

    /* Against another prompt the two choices are not comparable: the sentence says so. */
    if (!oracle || id_of(div, "index") < 0 || (cls && !strcmp(cls, "prompt-mismatch")))
        return;
    fputs("<div class=\"tops\">\n", out);
    top_bars(out, "The oracle&#39;s", oracle, div);
    if (engine)
        top_bars(out, "The engine&#39;s", engine, div);
    else
        fputs(
            "<figure><figcaption>The engine&#39;s top</figcaption><p class=\"absent\">The engine "
            "reported no log-probabilities here.</p></figure>\n",
            out);
    fputs("</div>\n", out);
}

static const char *margin_class(const cJSON *margin, double bound)
{
    double m;
    if (!finite_number(margin, &m))
        return "m-none";
    return m <= bound ? "m-near" : m <= fmax(CLOSE_NATS, 2 * bound) ? "m-close" : "m-clear";
}

static void strip_cells(FILE *out, const cJSON *margins, double bound, long at)
{
    const cJSON *margin;
    int i = 0;

    cJSON_ArrayForEach (margin, margins) {
        int x = STRIP_TOP + i * PITCH;
        double m;
        fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"><title>token %d: ",
                margin_class(margin, bound), x, STRIP_TOP, CELL, CELL, i);
        if (finite_number(margin, &m))
            fprintf(out, "margin %.3f nats</title></rect>\n", m);
        else
            fputs("margin not recorded</title></rect>\n", out);
        if (i % 8 == 0 || i == at)
            fprintf(out, "<text x=\"%d\" y=\"%d\">%d</text>\n", x, STRIP_HEIGHT - 2, i);
        if (i == at)
            fprintf(out, "<rect class=\"at\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n", x - 2,
                    STRIP_TOP - 2, CELL + 4, CELL + 4);
        i++;
    }
}

static void legend(FILE *out, double bound, long at)
{
    fputs("<p class=\"legend\"><span class=\"swatch m-near\"></span>within the near-tie bound (", out);
    fprintf(out, "%.2f nats): float noise can flip the choice", bound);
    fprintf(out, "<span class=\"swatch m-close\"></span>up to %.2f nats", fmax(CLOSE_NATS, 2 * bound));
    fputs(
        "<span class=\"swatch m-clear\"></span>beyond: a clear choice"
        "<span class=\"swatch m-none\"></span>not recorded",
        out);
    if (at >= 0)
        fprintf(out, "; outlined: the first divergence, token %ld", at);
    fputs("</p>\n", out);
}

/* The oracle's margin at each of its positions: where a flip is cheap, and where the engine left. */
static void margin_strip(FILE *out, const cJSON *div)
{
    const cJSON *margins = json_array(div, "position_margins");
    double bound = 0;
    long at = id_of(div, "index");
    int n = cJSON_GetArraySize(margins);

    if (!margins || !n)
        return;
    if (!finite_number(cJSON_GetObjectItemCaseSensitive(div, "near_tie_nats"), &bound))
        bound = 0;
    int width = STRIP_TOP * 2 + (n - 1) * PITCH + CELL;
    fprintf(out,
            "<figure>\n<figcaption>The oracle&#39;s margin at each of its %d positions (top-1 minus "
            "top-2 log-probability)</figcaption>\n<svg class=\"strip\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\">\n",
            n, width, STRIP_HEIGHT, width, STRIP_HEIGHT);
    strip_cells(out, margins, bound, at);
    fputs("</svg>\n", out);
    legend(out, bound, at);
    fputs("</figure>\n", out);
}

void html_divergence_pictures(FILE *out, const cJSON *div)
{
    if (!cJSON_IsObject(div))
        return;
    tops(out, div);
    margin_strip(out, div);
}
