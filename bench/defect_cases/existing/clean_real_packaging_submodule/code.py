from packaging.version import Version
from packaging.specifiers import SpecifierSet

def allowed(version, spec):
    return Version(version) in SpecifierSet(spec)
