apr tensors --help
