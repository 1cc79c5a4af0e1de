from packaging.semver import parse_semver

print(parse_semver("1.2.3"))
