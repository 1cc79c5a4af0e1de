def legacy_name(name):
    # TODO(#1234): remove this shim after the 2.0 release
    return name.replace("-", "_")
