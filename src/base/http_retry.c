#include "http_retry.h"

bool http_failure_may_pass(CURLcode rc, long status)
{
    switch (rc) {
    case CURLE_OK:
        return status >= 500 || status == 429 || status == 408;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_COULDNT_CONNECT:
        return true;
    default:
        return false;
    }
}
