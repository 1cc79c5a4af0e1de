def send_notification(user, message):
    pass
