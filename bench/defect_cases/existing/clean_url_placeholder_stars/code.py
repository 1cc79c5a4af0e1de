import logging

log = logging.getLogger(__name__)

def show(url):
    log.info("connecting to %s", "postgresql://app:***@db/app")
