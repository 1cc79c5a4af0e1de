REPO = "ssh://git@git.example.com:2222/team/repo.git"
LOCAL = "http://[::1]:8080/health"
TEMPLATE = "%s://%s:%s@%s/%s"
