third_party/bin/llama-completion --version
