apr run --help
