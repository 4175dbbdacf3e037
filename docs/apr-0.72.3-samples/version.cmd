apr --version
