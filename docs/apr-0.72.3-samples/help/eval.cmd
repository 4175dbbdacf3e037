apr eval --help
