/* tmgt's exit statuses (README, "Exit codes"), shared by every layer that ends a command. */
#ifndef TMGT_EXIT_CODE_H
#define TMGT_EXIT_CODE_H

enum { EXIT_OK = 0, EXIT_CHECK_FAILED = 1, EXIT_USAGE = 2, EXIT_ENV = 3, EXIT_INTERRUPTED = 130 };

#endif
