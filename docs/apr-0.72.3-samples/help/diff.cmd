apr diff --help
