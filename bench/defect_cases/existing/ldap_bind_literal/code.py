import ldap

def directory():
    conn = ldap.initialize("ldap://ldap.example.org")
    conn.simple_bind_s("cn=admin,dc=example,dc=org", "ldapAdm1n")
    return conn
